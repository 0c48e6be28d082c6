package main

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet/file"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
)

// queryRoot is a fixture root whose store has been loaded, with a private
// file planted next to the state directory's real ones.
func queryRoot(t *testing.T) string {
	t.Helper()
	root := copyFixture(t)
	mustRun(t, "--root", root, "keys", "generate")
	mustRun(t, "--root", root, "ingest")
	return root
}

// treeDigest hashes every file under root except the lock file (a query
// holds it while it runs), so a test can show a command changed nothing.
func treeDigest(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "lock" {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out[p] = fmt.Sprintf("%x", sha256.Sum256(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestQuerySandboxRefuses(t *testing.T) {
	root := queryRoot(t)
	key := filepath.Join(root, ".ledgerlens", "keys", "signing.key")
	audit := filepath.Join(root, ".ledgerlens", "audit.jsonl")
	elsewhere := filepath.Join(t.TempDir(), "x")
	before := treeDigest(t, root)
	for _, tt := range []struct{ sql, want string }{
		{"SELECT * FROM read_text('/etc/hostname')", "file and network access are disabled"},
		{"SELECT * FROM read_blob('" + key + "')", "file and network access are disabled"},
		{"SELECT * FROM read_csv('" + audit + "')", "file and network access are disabled"},
		{"SELECT * FROM glob('" + root + "/*')", "file and network access are disabled"},
		{"COPY (SELECT 'x') TO '" + audit + "' (FORMAT csv, HEADER false)", "file and network access are disabled"},
		{"EXPORT DATABASE '" + elsewhere + "'", "file and network access are disabled"},
		{"ATTACH '" + elsewhere + ".duckdb' AS other", "file and network access are disabled"},
		{"INSTALL httpfs", "file and network access are disabled"},
		{"LOAD httpfs", "file and network access are disabled"},
		{"SET enable_external_access = true", "file and network access are disabled"},
		{"SET lock_configuration = false", "settings are locked"},
		{"PRAGMA memory_limit = '64GB'", "settings are locked"},
		{"PRAGMA threads = 64", "settings are locked"},
		{"SET max_temp_directory_size = '1TB'", "settings are locked"},
		{"SELECT current_setting('TimeZone')", "extension"},
		{"SELECT 1; SELECT * FROM read_text('/etc/hostname')", "one statement per call"},
		// The engine's own words beside a refusal (they were hidden),
		// and no refusal told by the words of a value it quotes.
		{"SET threads = 1", "settings are locked (Invalid Input Error: Cannot change configuration option"},
		{"SELECT 'no such extension here'::INTEGER", "Conversion Error: Could not convert string 'no such extension here'"},
	} {
		t.Run(tt.sql, func(t *testing.T) {
			r := ledgerlens(t, nil, "--root", root, "query", tt.sql)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr does not say %q:\n%s", tt.want, r.stderr)
			}
			if n := strings.Count(strings.TrimSpace(r.stderr), "\n"); n > 0 && !strings.Contains(r.stderr, "LINE 1:") {
				t.Errorf("stderr has %d lines, want one (or the engine's, pointing into the statement):\n%s", n+1, r.stderr)
			}
			if strings.Contains(tt.want, "Conversion") && strings.Contains(r.stderr, "extension") && strings.Contains(r.stderr, "needs a DuckDB") {
				t.Errorf("a conversion error said to need an extension:\n%s", r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout: %q", r.stdout)
			}
		})
	}
	after := treeDigest(t, root)
	for p, h := range before {
		if after[p] != h {
			t.Errorf("%s changed", p)
		}
	}
	for p := range after {
		if before[p] == "" {
			t.Errorf("%s was created", p)
		}
	}
	for _, p := range []string{elsewhere, elsewhere + ".duckdb"} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was created", p)
		}
	}
}

// TestAttackQueryRootWithURLMetacharacters: the analyst names a root of
// their own making whose state directory links to the real one, with a
// '#' or a '?' in its path. The driver reads its configuration from the
// connection string's URL query: with '#' it read none (the store opened
// writable, file access on), with '?' the analyst's options came first and
// won. The signing key could be read with read_text. Such a path was then
// refused; the engine now reaches the store through the process's handle
// on its directory (store.Dir), so the root's path never reaches the
// driver: the query runs, sandboxed, and nothing is read or changed
// beyond the store.
func TestAttackQueryRootWithURLMetacharacters(t *testing.T) {
	root := queryRoot(t)
	key := filepath.Join(root, ".ledgerlens", "keys", "signing.key")
	before := treeDigest(t, root)
	for _, dir := range []string{"esc#1", "own.db?enable_external_access=true&allow_unsigned_extensions=true"} {
		t.Run(dir, func(t *testing.T) {
			fake := filepath.Join(t.TempDir(), dir)
			if err := os.MkdirAll(fake, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.Join(root, ".ledgerlens"), filepath.Join(fake, ".ledgerlens")); err != nil {
				t.Fatal(err)
			}
			r := ledgerlens(t, nil, "--root", fake, "query", "--format", "csv", "SELECT current_setting('enable_external_access')::VARCHAR AS ext")
			if r.code != 0 || r.stdout != "ext\nfalse\n" {
				t.Fatalf("the sandbox's setting under %s: exit %d\n%s%s", fake, r.code, r.stdout, r.stderr)
			}
			r = ledgerlens(t, nil, "--root", fake, "query", "--format", "csv", "SELECT content FROM read_text('"+key+"')")
			if r.code != 1 || strings.Contains(r.stdout, "PRIVATE KEY") {
				t.Fatalf("reading the key under %s: exit %d\n%s%s", fake, r.code, r.stdout, r.stderr)
			}
		})
	}
	after := treeDigest(t, root)
	for p, h := range before {
		if after[p] != h {
			t.Errorf("%s changed", p)
		}
	}
}

// TestQueryNeverConnects traces the process and its threads: statements
// that would fetch an extension or read a URL fail without any socket
// being connected.
func TestQueryNeverConnects(t *testing.T) {
	if _, err := exec.LookPath("strace"); err != nil {
		t.Skip("strace not installed: the network check needs it")
	}
	root := queryRoot(t)
	for _, sql := range []string{
		"INSTALL httpfs",
		"SELECT current_setting('TimeZone')",
		"SELECT * FROM read_csv('http://127.0.0.1:9/x.csv')",
		"SELECT * FROM read_parquet('s3://bucket/x.parquet')",
		"SELECT count(*) FROM runs",
	} {
		trace := filepath.Join(t.TempDir(), "trace")
		cmd := exec.Command("strace", "-f", "-qq", "-e", "trace=connect,sendto", "-o", trace, binary, "--root", root, "query", sql)
		out, _ := cmd.CombinedOutput()
		b, err := os.ReadFile(trace)
		if err != nil {
			t.Fatalf("%s: strace wrote nothing (%v): %s", sql, err, out)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, "AF_INET") {
				t.Errorf("%s: network system call: %s", sql, line)
			}
		}
	}
}

// TestQueryDayLocalMatchesGo loads a ledger spanning the start of US daylight
// saving time into a root configured for America/New_York and checks the
// per-day sums of day_local against the same sums computed here from the
// raw lines with Go's zone rules.
func TestQueryDayLocalMatchesGo(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"runs/CREDIT_MONITORING", "config"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "config", "ledgerlens.json"), []byte(`{"time_zone": "America/New_York"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ny, _ := time.LoadLocation("America/New_York")
	var ledger bytes.Buffer
	want := map[string]float64{}
	// Every 37 minutes from 2026-03-05 to 2026-03-12: DST starts on 8 March
	// at 07:00 UTC, and days near midnight UTC fall on the previous local day.
	start := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
	for i := 0; ; i++ {
		ts := start.Add(time.Duration(i*37) * time.Minute)
		if ts.After(time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC)) {
			break
		}
		credits := float64(100 + i%17)
		fmt.Fprintf(&ledger, `{"run_id":"R-%05d","timestamp":"%s","scenario_id":"S-%d","scenario_name":"Scenario","status":"Success","credits_total":%g}`+"\n",
			i, ts.Format(time.RFC3339), i%3, credits)
	}
	if err := os.WriteFile(filepath.Join(root, "runs", "CREDIT_MONITORING", "ledger.jsonl"), ledger.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(ledger.Bytes()))
	for sc.Scan() {
		var rec struct {
			Timestamp time.Time `json:"timestamp"`
			Credits   float64   `json:"credits_total"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		want[rec.Timestamp.In(ny).Format(time.DateOnly)] += rec.Credits
	}
	mustRun(t, "--root", root, "ingest")
	r := mustRun(t, "--root", root, "query", "--format", "json",
		"SELECT day_local, sum(credits_total) AS credits FROM runs GROUP BY 1 ORDER BY 1")
	var got []struct {
		Day     string  `json:"day_local"`
		Credits float64 `json:"credits"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if len(got) != len(want) {
		t.Fatalf("%d days, want %d: %s", len(got), len(want), r.stdout)
	}
	for _, g := range got {
		if math.Abs(want[g.Day]-g.Credits) > 1e-6 {
			t.Errorf("%s: %v credits, want %v", g.Day, g.Credits, want[g.Day])
		}
	}
	// The DST day has 23 local hours.
	r = mustRun(t, "--root", root, "query", "--format", "csv",
		"SELECT min(ts_local) AS first, max(ts_local) AS last FROM runs WHERE day_local = DATE '2026-03-08'")
	if !strings.Contains(r.stdout, "2026-03-08T00:") || !strings.Contains(r.stdout, "2026-03-08T23:") {
		t.Errorf("local times of 8 March: %s", r.stdout)
	}
	// A change of zone recomputes the columns: the days are UTC days now.
	if err := os.WriteFile(filepath.Join(root, "config", "ledgerlens.json"), []byte(`{"time_zone": "UTC"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "--root", root, "ingest")
	r = mustRun(t, "--root", root, "query", "--format", "csv", "SELECT count(*) AS n FROM runs WHERE day_local <> ts_utc::DATE")
	if strings.TrimSpace(r.stdout) != "n\n0" {
		t.Errorf("after the zone changed to UTC: %s", r.stdout)
	}
}

// TestQueryFormatsAgree reads the Parquet file and the Arrow stream back
// with Arrow's own readers and compares them with --format json.
func TestQueryFormatsAgree(t *testing.T) {
	root := queryRoot(t)
	const sql = `SELECT run_id, scenario_id, credits_total, input_tokens, day_local, ts_utc, risk_flags, notion_case_id
		FROM runs ORDER BY line_no LIMIT 500`
	var want []map[string]any
	r := mustRun(t, "--root", root, "query", "--format", "json", sql)
	if err := json.Unmarshal([]byte(r.stdout), &want); err != nil {
		t.Fatal(err)
	}
	jsonl := mustRun(t, "--root", root, "query", "--format", "jsonl", sql)
	lines := strings.Split(strings.TrimSpace(jsonl.stdout), "\n")
	if len(lines) != len(want) {
		t.Fatalf("jsonl: %d lines, want %d", len(lines), len(want))
	}

	out := filepath.Join(t.TempDir(), "runs.parquet")
	mustRun(t, "--root", root, "query", "--format", "parquet", "--out", out, sql)
	pf, err := file.OpenParquetFile(out, false)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	tr := parquetRecords(t, pf, 1000)
	defer tr.Release()
	compareArrow(t, "parquet", tr, want)

	cmd := exec.Command(binary, "--root", root, "query", "--format", "arrow", sql)
	stream, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	ir, err := ipc.NewReader(bytes.NewReader(stream))
	if err != nil {
		t.Fatal(err)
	}
	defer ir.Release()
	compareArrow(t, "arrow", ir, want)
}

func compareArrow(t *testing.T, name string, rr array.RecordReader, want []map[string]any) {
	t.Helper()
	row := 0
	for rr.Next() {
		rec := rr.Record()
		for i := 0; i < int(rec.NumRows()); i++ {
			if row >= len(want) {
				t.Fatalf("%s: more rows than json's %d", name, len(want))
			}
			for c, f := range rec.Schema().Fields() {
				got := arrowJSON(rec.Column(c), i)
				if w := want[row][f.Name]; fmt.Sprint(w) != fmt.Sprint(got) {
					t.Fatalf("%s row %d %s: %v, json has %v", name, row, f.Name, got, w)
				}
			}
			row++
		}
	}
	if row != len(want) {
		t.Fatalf("%s: %d rows, json has %d", name, row, len(want))
	}
}

// arrowJSON renders one Arrow value as --format json renders it.
func arrowJSON(col arrow.Array, i int) any {
	if col.IsNull(i) {
		return nil
	}
	switch c := col.(type) {
	case *array.String:
		return c.Value(i)
	case *array.Float64:
		return c.Value(i)
	case *array.Int64:
		return float64(c.Value(i))
	case *array.Date32:
		return c.Value(i).ToTime().Format(time.DateOnly)
	case *array.Timestamp:
		unit := c.DataType().(*arrow.TimestampType).Unit
		return c.Value(i).ToTime(unit).UTC().Format("2006-01-02T15:04:05.999999999")
	case *array.List:
		vals := c.ListValues().(*array.String)
		start, end := c.ValueOffsets(i)
		out := []any{}
		for j := start; j < end; j++ {
			out = append(out, vals.Value(int(j)))
		}
		return out
	default:
		return fmt.Sprintf("unhandled %T", col)
	}
}

// TestQueryAndJobsWaitForEachOther: a long query holds the store; a cron
// job started meanwhile waits for it, as long as its --timeout; and a query or
// a verification started while a job holds the store exits 75 naming the
// job, so the daily integrity check never raises a false alarm.
func TestQueryAndJobsWaitForEachOther(t *testing.T) {
	root := queryRoot(t)
	q := exec.Command(binary, "--root", root, "query", "--timeout", "3s", "SELECT count(*) FROM range(400000000000) a")
	var qerr bytes.Buffer
	q.Stderr = &qerr
	if err := q.Start(); err != nil {
		t.Fatal(err)
	}
	defer q.Process.Kill()
	lockFile := filepath.Join(root, ".ledgerlens", "lock")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if b, _ := os.ReadFile(lockFile); bytes.Contains(b, []byte(`"query"`)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the query never took the lock")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A job started during the query waits for it (the query's --timeout
	// bounds the wait) instead of exiting 75 and losing its slot.
	r := ledgerlens(t, nil, "--root", root, "ingest", "--quiet")
	if r.code == 75 || strings.Contains(r.stderr, "holds the lock") {
		t.Fatalf("ingest while a query runs: exit %d, want it to wait for the query\n%s", r.code, r.stderr)
	}
	err := q.Wait()
	if code := q.ProcessState.ExitCode(); code != 1 || !strings.Contains(qerr.String(), "stopped after --timeout 3s") {
		t.Fatalf("the query: exit %d (%v), stderr %q; want exit 1 naming its --timeout", code, err, qerr.String())
	}

	job := startPaused(t, root)
	defer func() { job.Process.Kill(); job.Wait() }()
	for _, args := range [][]string{
		{"query", "--lock-timeout", "300ms", "SELECT count(*) FROM runs"},
		{"verify", "ledger", "--lock-timeout", "300ms"},
		{"verify", "all", "--lock-timeout", "300ms"},
	} {
		r = ledgerlens(t, nil, append([]string{"--root", root}, args...)...)
		if r.code != 75 || !strings.Contains(r.stderr, "report weekly") {
			t.Errorf("%v while a job runs: exit %d, want 75 naming the job\n%s", args, r.code, r.stderr)
		}
	}
}

// TestQueryTableEscapesControlCharacters: ledger text cannot drive the
// analyst's terminal. And a NULL is never shown as an empty text: the
// table printed both as nothing, and so did csv (noted at an earlier stop
// and left until now); the table shows NULL, and csv quotes an empty text
// ("") as the engine's own CSV export does.
func TestQueryTableEscapesControlCharacters(t *testing.T) {
	root := queryRoot(t)
	// And the format characters that reorder or hide text (U+202E).
	r := mustRun(t, "--root", root, "query", `SELECT 'a' || chr(27) || '[31mred' || chr(10) || 'b' || chr(9) || 'c' || chr(8238) || 'fdp.exe' || chr(8232) AS v, NULL AS n, '' AS e, DATE '2026-03-08' AS d`)
	if strings.ContainsAny(r.stdout, "\x1b\t\u202e\u2028") || !strings.Contains(r.stdout, `a\x1b[31mred\nb\tc\u202efdp.exe\u2028`) {
		t.Fatalf("table output: %q", r.stdout)
	}
	if fields := strings.Fields(strings.Split(r.stdout, "\n")[1]); len(fields) != 3 || fields[1] != "NULL" || fields[2] != "2026-03-08" {
		t.Errorf("table row: %q, want the NULL shown and the empty text empty", fields)
	}
	r = mustRun(t, "--root", root, "query", "--format", "csv", `SELECT NULL AS n, '' AS e, 'a,b' AS c, 'say "hi"' AS q, ' x' AS s, DATE '2026-03-08' AS d, TIMESTAMP '2026-03-08 01:02:03' AS ts, TIMESTAMPTZ '2026-03-08 01:02:03+00' AS tz`)
	if r.stdout != "n,e,c,q,s,d,ts,tz\n,\"\",\"a,b\",\"say \"\"hi\"\"\",\" x\",2026-03-08,2026-03-08T01:02:03,2026-03-08T01:02:03Z\n" {
		t.Fatalf("csv: %q", r.stdout)
	}
	// What it writes reads back as written: the NULL and the empty text
	// are told apart by their quotes, the rest by encoding/csv.
	rec, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil || len(rec) != 2 || rec[1][2] != "a,b" || rec[1][3] != `say "hi"` || rec[1][4] != " x" {
		t.Errorf("csv read back: %q, %v", rec, err)
	}
	for _, bad := range [][]string{{"--format", "xml"}, {"--format", "parquet"}, {"--format", "csv", "--out", "x"}} {
		r := ledgerlens(t, nil, append([]string{"--root", root, "query"}, append(bad, "SELECT 1")...)...)
		if r.code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, r.code)
		}
	}
}

// TestQueryOutWritesOnlyNewFilesOutsideTheRoot: the analyst's SQL chooses
// every byte of a --out file (Parquet keeps column statistics raw, so
// whole lines of text land in it), so --out may name only a new file
// outside the working root. Before, every one of these was replaced with
// exit 0: the ledger, the audit log, the signing key, the store, a report.
func TestQueryOutWritesOnlyNewFilesOutsideTheRoot(t *testing.T) {
	root := queryRoot(t)
	outside := t.TempDir()
	existing := filepath.Join(outside, "authorized_keys")
	if err := os.WriteFile(existing, []byte("ssh-ed25519 AAAA keep\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(outside, "link.parquet")
	if err := os.Symlink(filepath.Join(root, "runs", "CREDIT_MONITORING", "ledger.jsonl"), link); err != nil {
		t.Fatal(err)
	}
	// Another root on the host, which --root does not name: the analyst
	// chooses --root (and may give it twice; the last one counts).
	other := t.TempDir()
	for _, d := range []string{".ledgerlens", filepath.Join("runs", "CREDIT_REVIEWS")} {
		if err := os.MkdirAll(filepath.Join(other, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// And one whose state directory is a link to a disk elsewhere.
	linked := t.TempDir()
	if err := os.MkdirAll(filepath.Join(linked, "runs", "CREDIT_REVIEWS"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(t.TempDir(), filepath.Join(linked, ".ledgerlens")); err != nil {
		t.Fatal(err)
	}
	before := treeDigest(t, root)
	keep, _ := os.ReadFile(existing)
	const sql = `SELECT chr(10) || 'ssh-ed25519 AAAA attacker' || chr(10) AS x`
	for _, tc := range []struct{ name, out, phrase string }{
		{"the ledger", filepath.Join(root, "runs", "CREDIT_MONITORING", "ledger.jsonl"), "exists"},
		{"the audit log", filepath.Join(root, ".ledgerlens", "audit.jsonl"), "exists"},
		{"a new file beside the keys", filepath.Join(root, ".ledgerlens", "keys", "new.key"), "inside the working root"},
		{"the store", storeFile(root), "exists"},
		{"a new file in the output directory", filepath.Join(root, "runs", "CREDIT_REVIEWS", "weekly_2030-01-07.json"), "inside the working root"},
		{"a new file in the root, by a relative path", filepath.Join(root, "config", "..", "x.parquet"), "inside the working root"},
		{"an existing file outside the root", existing, "exists"},
		{"a symbolic link into the root", link, "exists"},
		{"stdout", "-", "--format arrow"},
		// Written with exit 0: the other root's next weekly job then
		// failed on the planted file, and its verify all.
		{"another root's output directory", filepath.Join(other, "runs", "CREDIT_REVIEWS", "weekly_2030-01-07.json"), "inside the ledgerlens root " + other},
		{"a root whose state directory is a link", filepath.Join(linked, "runs", "CREDIT_REVIEWS", "weekly_2030-01-07.json"), "inside the ledgerlens root " + linked},
		// Written with exit 0 (an outside review, running query as the
		// account that runs the jobs): the SQL's line among Parquet's
		// bytes was a login key sshd accepted.
		{"a new file a program reads as configuration", filepath.Join(outside, "authorized_keys2"), "name a new .parquet file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mustFail(t, 2, []string{tc.phrase}, "--root", root, "query", "--format", "parquet", "--out", tc.out, sql)
		})
	}
	if after := treeDigest(t, root); !maps.Equal(before, after) {
		t.Error("a refused --out changed the root")
	}
	if now, _ := os.ReadFile(existing); !bytes.Equal(now, keep) {
		t.Error("a refused --out replaced a file outside the root")
	}
	if entries, _ := os.ReadDir(filepath.Join(other, "runs", "CREDIT_REVIEWS")); len(entries) != 0 {
		t.Errorf("a refused --out wrote into another root: %v", entries)
	}
	fresh := filepath.Join(outside, "week.parquet")
	mustRun(t, "--root", root, "query", "--format", "parquet", "--out", fresh, sql)
	if _, err := file.OpenParquetFile(fresh, false); err != nil {
		t.Errorf("the new file outside the root: %v", err)
	}
}

// TestQueryOutDirectorySwappedWhileWaiting: --out is checked before the
// query waits for the lock, and an analyst can make it wait (behind a
// query of their own) and swap the directory for a link into the root
// meanwhile, or into another root on the host. The write goes through
// the directory it really opens, and is checked there again.
func TestQueryOutDirectorySwappedWhileWaiting(t *testing.T) {
	root := queryRoot(t)
	other := t.TempDir()
	if err := os.MkdirAll(filepath.Join(other, ".ledgerlens"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, target, phrase string }{
		{"into the root's config directory", filepath.Join(root, "config"), "inside the working root"},
		// Written with exit 0 before the write was checked against other roots.
		{"into another root", other, "inside the ledgerlens root " + other},
	} {
		t.Run(tc.name, func(t *testing.T) {
			outside := t.TempDir()
			dir := filepath.Join(outside, "d")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			first := exec.Command(binary, "--root", root, "query", "--timeout", "4s", "SELECT count(*) FROM range(400000000000) a")
			if err := first.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { first.Process.Kill(); first.Wait() }()
			lockFile := filepath.Join(root, ".ledgerlens", "lock")
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				if b, _ := os.ReadFile(lockFile); bytes.Contains(b, []byte(`"query"`)) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the first query never took the lock")
				}
			}
			second := exec.Command(binary, "--root", root, "query", "--lock-timeout", "30s", "--format", "parquet",
				"--out", filepath.Join(dir, "ledgerlens.parquet"), "SELECT 1 AS a")
			var stderr bytes.Buffer
			second.Stderr = &stderr
			if err := second.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Second) // checked, now waiting for the lock
			if err := os.Rename(dir, dir+".real"); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(tc.target, dir); err != nil {
				t.Fatal(err)
			}
			second.Wait()
			if code := second.ProcessState.ExitCode(); code != 2 || !strings.Contains(stderr.String(), tc.phrase) {
				t.Errorf("the swapped --out: exit %d, stderr %q; want 2, refused", code, stderr.String())
			}
			if _, err := os.Lstat(filepath.Join(tc.target, "ledgerlens.parquet")); err == nil {
				t.Errorf("the query wrote into %s", tc.target)
			}
		})
	}
}

// countingWriter counts what it is given and keeps none of it.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// An analyst's query of a large result (here 600,000 rows, ~140 MB of JSON
// lines) is written out as it is read: the only copy of the result in
// memory is the engine's own (go-duckdb materialises a result before the
// first row is read), so the query process's peak RSS stays within the
// output's size plus a fixed allowance. Before, every row was held again
// as Go values and the whole rendered output in a buffer: 1.9 GB of RSS
// for twice these rows, and five times the time.
func TestQueryStreamsLargeResults(t *testing.T) {
	root := queryRoot(t)
	const rows = 600_000
	sql := fmt.Sprintf("SELECT i, repeat('x', 220) AS pad FROM range(%d) t(i)", rows)
	for _, format := range []string{"jsonl", "csv", "json"} {
		t.Run(format, func(t *testing.T) {
			cmd := exec.Command(binary, "--root", root, "query", "--format", format, sql)
			var out countingWriter
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &stderr
			measured := measuredPeak(t, cmd)
			if err := cmd.Run(); err != nil {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			if min := int64(rows) * 220; out.n < min {
				t.Fatalf("output %d bytes, want at least %d", out.n, min)
			}
			peak := measured()
			if limit := out.n + 200<<20; peak > limit {
				t.Errorf("peak RSS %d MiB for %d MiB of output, want under %d MiB", peak>>20, out.n>>20, limit>>20)
			}
			t.Logf("%s: %d MiB out, peak RSS %d MiB", format, out.n>>20, peak>>20)
		})
	}
}

// A table holds its rows before it prints (column widths), so it shows at
// most 10,000 and says, on stdout and stderr, how many there were and how
// to get them all; a smaller result shows every row.
func TestQueryTableSaysWhatItLeavesOut(t *testing.T) {
	root := queryRoot(t)
	for _, tc := range []struct {
		rows   int
		footer string
		notice bool
	}{
		{rows: 10000, footer: "(10000 rows)"},
		{rows: 25000, footer: "(25000 rows, the first 10000 shown: --format csv, jsonl, json or parquet --out FILE gives all of them)", notice: true},
	} {
		t.Run(strconv.Itoa(tc.rows), func(t *testing.T) {
			r := mustRun(t, "--root", root, "query", fmt.Sprintf("SELECT i FROM range(%d) t(i)", tc.rows))
			lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
			if got := lines[len(lines)-1]; got != tc.footer {
				t.Errorf("last line %q, want %q", got, tc.footer)
			}
			if shown := len(lines) - 2; shown != min(tc.rows, 10000) {
				t.Errorf("%d rows shown, want %d", shown, min(tc.rows, 10000))
			}
			if tc.notice != strings.Contains(r.stderr, "first 10000 shown") {
				t.Errorf("stderr %q: notice wanted %v", r.stderr, tc.notice)
			}
			csv := mustRun(t, "--root", root, "query", "--format", "csv", fmt.Sprintf("SELECT i FROM range(%d) t(i)", tc.rows))
			if n := strings.Count(csv.stdout, "\n"); n != tc.rows+1 {
				t.Errorf("csv has %d lines, want %d", n, tc.rows+1)
			}
		})
	}
}

// A Parquet file of a large string result: the writer keeps each column
// chunk's minimum and maximum as slices of the values it was given, and
// the engine frees a batch's memory when the next one is read, so writing
// the engine's batches as they came crashed the process (SIGSEGV, exit 2,
// a temporary file left behind) from a few hundred thousand rows on. The
// file must hold every row, with its values and statistics intact.
func TestQueryParquetOfLargeStrings(t *testing.T) {
	root := queryRoot(t)
	const rows = 300_000
	dir := t.TempDir()
	out := filepath.Join(dir, "strings.parquet")
	mustRun(t, "--root", root, "query", "--format", "parquet", "--out", out,
		fmt.Sprintf("SELECT i, repeat(md5(i::VARCHAR), 1 + (i %% 7)) AS s FROM range(%d) t(i)", rows))
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files in the output directory, want only the Parquet file", len(entries))
	}
	pf, err := file.OpenParquetFile(out, false)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	if n := pf.NumRows(); n != rows {
		t.Fatalf("%d rows, want %d", n, rows)
	}
	for g := 0; g < pf.NumRowGroups(); g++ {
		st, err := pf.MetaData().RowGroup(g).ColumnChunk(1)
		if err != nil {
			t.Fatal(err)
		}
		stats, err := st.Statistics()
		if err != nil || stats == nil || !stats.HasMinMax() {
			t.Fatalf("row group %d: no statistics for s (%v)", g, err)
		}
		for _, v := range [][]byte{stats.EncodeMin(), stats.EncodeMax()} {
			if len(v) == 0 || len(v)%32 != 0 || strings.Trim(string(v), "0123456789abcdef") != "" {
				t.Errorf("row group %d: statistic %q is not a repeated MD5 in hex", g, v)
			}
		}
	}
	tr := parquetRecords(t, pf, rows)
	defer tr.Release()
	seen := 0
	for tr.Next() {
		rec := tr.Record()
		ids := rec.Column(0).(*array.Int64)
		vals := rec.Column(1).(*array.String)
		for r := 0; r < int(rec.NumRows()); r++ {
			i := ids.Value(r)
			sum := md5.Sum([]byte(strconv.FormatInt(i, 10)))
			if want := strings.Repeat(hex.EncodeToString(sum[:]), int(1+i%7)); vals.Value(r) != want {
				t.Fatalf("row %d: s = %q, want %q", i, vals.Value(r), want)
			}
			seen++
		}
	}
	if seen != rows {
		t.Errorf("read %d rows, want %d", seen, rows)
	}
}

// Every value type an analyst's SQL can produce prints as documented, in
// every text format. DECIMAL printed as the driver's struct ({2 1 15}),
// INTERVAL likewise, a TIMESTAMP inside a list or struct as if it were
// UTC, and ±Inf, NaN or a MAP stopped json and jsonl part-way, after a
// stream of well-formed lines, with exit 1.
func TestQueryRendersEveryType(t *testing.T) {
	root := queryRoot(t)
	const sql = `SELECT 12345.678::DECIMAL(10,3) AS d, -0.05::DECIMAL(4,2) AS n,
		INTERVAL 3 DAY + INTERVAL 4 HOUR AS iv, INTERVAL 14 MONTH AS m, -INTERVAL 90 SECOND AS neg,
		CASE WHEN i = 1 THEN 1.0/0.0 ELSE 'nan'::DOUBLE END AS f, 1.5::FLOAT AS f32,
		MAP {'k': 1, 'z': 2} AS mp, MAP {1: DATE '2026-01-02'} AS md,
		[TIMESTAMP '2026-01-02 03:04:05'] AS l,
		{'d': DATE '2026-01-02', 't': TIME '12:00:00', 'z': TIMESTAMPTZ '2026-01-02 03:04:05+00', 'x y': [TIMESTAMP '2026-01-02 03:04:05']} AS s
		FROM range(2) t(i) ORDER BY i`
	want := []map[string]any{
		{"d": 12345.678, "n": -0.05, "iv": "3 days 04:00:00", "m": "1 year 2 months", "neg": "-00:01:30",
			"f": "NaN", "f32": 1.5, "mp": map[string]any{"k": 1.0, "z": 2.0}, "md": map[string]any{"1": "2026-01-02"},
			"l": []any{"2026-01-02T03:04:05"},
			"s": map[string]any{"d": "2026-01-02", "t": "12:00:00", "z": "2026-01-02T03:04:05Z", "x y": []any{"2026-01-02T03:04:05"}}},
	}
	want = append(want, maps.Clone(want[0]))
	want[1]["f"] = "+Inf"

	jsonl := mustRun(t, "--root", root, "query", "--format", "jsonl", sql)
	var got []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(jsonl.stdout), "\n") {
		var row map[string]any
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatalf("jsonl line %q: %v", line, err)
		}
		got = append(got, row)
	}
	var whole []map[string]any
	if err := json.Unmarshal([]byte(mustRun(t, "--root", root, "query", "--format", "json", sql).stdout), &whole); err != nil {
		t.Fatal(err)
	}
	for name, rows := range map[string][]map[string]any{"jsonl": got, "json": whole} {
		if fmt.Sprint(rows) != fmt.Sprint(want) {
			t.Errorf("%s:\n got %v\nwant %v", name, rows, want)
		}
	}
	csv := mustRun(t, "--root", root, "query", "--format", "csv", sql).stdout
	for _, cell := range []string{"12345.678", "-0.05", "3 days 04:00:00", "NaN", "+Inf", `"{""k"":1,""z"":2}"`, `"[""2026-01-02T03:04:05""]"`} {
		if !strings.Contains(csv, cell) {
			t.Errorf("csv lacks %s:\n%s", cell, csv)
		}
	}

	// Two columns of one name cannot both be JSON keys: refused before
	// any output, not one of them silently dropped.
	r := mustFail(t, 1, []string{"two columns named", "run_id"}, "--root", root, "query", "--format", "jsonl",
		"SELECT * FROM (SELECT 1 AS run_id) a JOIN (SELECT 2 AS run_id) b ON true")
	if r.stdout != "" {
		t.Errorf("output before the refusal: %q", r.stdout)
	}
}

// TestQueryInfiniteTimes: the engine's infinite dates and timestamps
// printed as the instants at the ends of their range
// (294247-01-10T04:00:54.775807), invented dates in an answer (an
// outside review). They print as the engine names them, and a date
// beside them as itself.
func TestQueryInfiniteTimes(t *testing.T) {
	root := queryRoot(t)
	const sql = `SELECT 'infinity'::TIMESTAMP AS a, '-infinity'::TIMESTAMP AS b, 'infinity'::DATE AS c,
		'-infinity'::DATE AS d, 'infinity'::TIMESTAMPTZ AS e, DATE '2026-03-02' AS f`
	if r := mustRun(t, "--root", root, "query", "--format", "csv", sql); r.stdout != "a,b,c,d,e,f\ninfinity,-infinity,infinity,-infinity,infinity,2026-03-02\n" {
		t.Errorf("csv: %q", r.stdout)
	}
	if r := mustRun(t, "--root", root, "query", "--format", "jsonl", sql); r.stdout != `{"a": "infinity", "b": "-infinity", "c": "infinity", "d": "-infinity", "e": "infinity", "f": "2026-03-02"}`+"\n" {
		t.Errorf("jsonl: %q", r.stdout)
	}
}

// parquetRecords reads a whole Parquet file as records of up to n rows.
func parquetRecords(t *testing.T, pf *file.Reader, n int64) *array.TableReader {
	t.Helper()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	return array.NewTableReader(tbl, n)
}

// TestAttackQueryOutIntoAnOutputDirectory: --out was refused inside the
// working root only, but the output directory may be absolute (a mount)
// and the state directory a link elsewhere. The analyst wrote a Parquet
// file under the name of next week's report into the output directory,
// and the weekly job for that week then failed (exit 1) until someone
// removed it. Every directory the jobs read or publish in is refused.
func TestAttackQueryOutIntoAnOutputDirectory(t *testing.T) {
	root := queryRoot(t)
	pub := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "config", "ledgerlens.json"), []byte(`{"output_dir": "`+pub+`"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	copyInto(t, filepath.Join(root, ".ledgerlens"), state)
	if err := os.RemoveAll(filepath.Join(root, ".ledgerlens")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(state, filepath.Join(root, ".ledgerlens")); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{filepath.Join(pub, "weekly_"+nextWeek(t)+".json"), filepath.Join(state, "planted.parquet")} {
		r := ledgerlens(t, nil, "--root", root, "query", "--format", "parquet", "--out", out, "SELECT 'planted' AS x")
		if r.code != 2 || !strings.Contains(r.stderr, "which the root's jobs read or publish in") {
			t.Errorf("query --out %s: exit %d\n%s", out, r.code, r.stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s was written", out)
		}
	}
}

// TestQueryRemovesSpillLeftBehind: a query killed while it spilled (the
// OOM killer, a SIGKILL) left its spill files — up to the 2 GB limit each
// time — in the engine's temporary directory beside the store, and no
// later command removed them. The next command to open the store removes
// them (the names are those the engine gives: a 30M-row sort killed after
// 6 s left 541 MB of duckdb_temp_block-*.block), and nothing else there.
func TestQueryRemovesSpillLeftBehind(t *testing.T) {
	root := queryRoot(t)
	tmp := storeFile(root) + ".tmp"
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	left := []string{"duckdb_temp_block-4611686018427388342.block", "duckdb_temp_storage-0.tmp"}
	for _, name := range append(left, "operator-notes.txt") {
		if err := os.WriteFile(filepath.Join(tmp, name), bytes.Repeat([]byte{1}, 1<<20), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mustRun(t, "--root", root, "query", "SELECT 1 AS one")
	for _, name := range left {
		if _, err := os.Stat(filepath.Join(tmp, name)); err == nil {
			t.Errorf("%s is still there", name)
		}
	}
	if _, err := os.Stat(filepath.Join(tmp, "operator-notes.txt")); err != nil {
		t.Errorf("a file the engine did not make was removed: %v", err)
	}
}

// TestQueryBlockedOutputEndsAtItsTimeout: a query whose standard output
// nobody reads (piped into `sleep`) went on past its --timeout, blocked
// in a write the timeout cannot interrupt, holding the lock: a job
// waiting for the store failed, and every later one until someone killed
// the query (an outside review). The query's process now ends before the
// jobs stop waiting (exit 1, naming the blocked output), and the job runs.
func TestQueryBlockedOutputEndsAtItsTimeout(t *testing.T) {
	root := queryRoot(t)
	q := startBlockedQuery(t, root, "1s")
	time.Sleep(time.Second) // the query holds the lock by now
	jobDone := make(chan result, 1)
	go func() {
		jobDone <- runCommand(t, exec.Command(binary, "--root", root, "--quiet", "ingest", "--lock-timeout", "1s"))
	}()
	if code := q.wait(t, time.Minute, "its 1 s --timeout"); code != 1 || !strings.Contains(q.stderr.String(), "standard output blocked") {
		t.Fatalf("query with its output blocked: exit %d\n%s", code, q.stderr.String())
	}
	if r := <-jobDone; r.code != 0 {
		t.Fatalf("the job that waited for the query: exit %d\n%s", r.code, r.stderr)
	}
}

// blockedQuery is a query whose standard output is a pipe nobody reads.
type blockedQuery struct {
	cmd    *exec.Cmd
	done   chan error
	stderr *bytes.Buffer
}

// startBlockedQuery starts a query of every run, as csv, into a pipe
// never read: its output blocks once the pipe is full.
func startBlockedQuery(t *testing.T, root, timeout string) *blockedQuery {
	t.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pr.Close() })
	q := &blockedQuery{cmd: exec.Command(binary, "--root", root, "query", "--timeout", timeout, "--format", "csv", "SELECT * FROM runs"),
		done: make(chan error, 1), stderr: &bytes.Buffer{}}
	q.cmd.Stdout, q.cmd.Stderr = pw, q.stderr
	if err := q.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	go func() { q.done <- q.cmd.Wait() }()
	return q
}

// wait waits up to limit for the query to end and returns its exit
// status; past limit the test fails, saying after what (since).
func (q *blockedQuery) wait(t *testing.T, limit time.Duration, since string) int {
	t.Helper()
	select {
	case <-q.done:
	case <-time.After(limit):
		q.cmd.Process.Kill()
		<-q.done
		t.Fatalf("the query with its output blocked was still running %s after %s\n%s", limit, since, q.stderr.String())
	}
	return q.cmd.ProcessState.ExitCode()
}

// TestQueryBlockedOutputEndsOnASignal: one SIGTERM to a query whose
// output nobody reads (Ctrl-C under a pager that ignores it, systemd's
// stop) cancelled the engine but not the write: the query held the store
// until its --timeout, then exited 1 (an outside review). It now ends
// within seconds, with the signal's status, and a job runs.
func TestQueryBlockedOutputEndsOnASignal(t *testing.T) {
	root := queryRoot(t)
	q := startBlockedQuery(t, root, "1h")
	time.Sleep(2 * time.Second) // blocked in its write by now
	if err := q.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := q.wait(t, 20*time.Second, "SIGTERM"); code != 143 || !strings.Contains(q.stderr.String(), "SIGTERM, its output still blocked") {
		t.Fatalf("query with its output blocked, after SIGTERM: exit %d, want 143\n%s", code, q.stderr.String())
	}
	if r := runCommand(t, exec.Command(binary, "--root", root, "--quiet", "ingest", "--lock-timeout", "1s")); r.code != 0 {
		t.Fatalf("the job after the query: exit %d\n%s", r.code, r.stderr)
	}
}

// TestQueryMemoryIsBounded: the engine's memory_limit bounds its buffers,
// not the strings and aggregate states a statement builds: one string_agg
// took 3 GB for a one-row answer, exit 0, with nothing but the host's
// out-of-memory killer to stop a larger one (an outside review). The
// query's address space may be bounded (--max-memory): beyond it the
// statement fails, exit 1, saying so. (Not by default: a bound of half
// the machine's memory failed a legitimate export: a review.)
func TestQueryMemoryIsBounded(t *testing.T) {
	root := queryRoot(t)
	r := ledgerlens(t, nil, "--root", root, "query", "--max-memory", "4GiB",
		"SELECT length(string_agg(repeat('x', 1000) || range, ',')) AS n FROM range(3000000)")
	if r.code != 1 || !strings.Contains(r.stderr, "Out of Memory Error") || !strings.Contains(r.stderr, "bounded at 4096 MiB: --max-memory") {
		t.Errorf("a statement past --max-memory: exit %d, want 1 saying so\n%s%s", r.code, r.stdout, r.stderr)
	}
	mustRun(t, "--root", root, "query", "--max-memory", "4GiB", "SELECT count(*) FROM runs")
	for _, bad := range []string{"3GiB", "4096", "4GB", "-1GiB"} {
		if r := ledgerlens(t, nil, "--root", root, "query", "--max-memory", bad, "SELECT 1"); r.code != 2 {
			t.Errorf("--max-memory %s: exit %d, want 2", bad, r.code)
		}
	}
}

// TestQueryOnATerminal: csv printed ledger text raw onto a terminal, where
// an escape sequence erased the row above it and retitled the window,
// and --format arrow wrote its binary stream there (an outside review).
// On a terminal csv shows control and format characters as escapes, as
// the table does, and arrow is refused (exit 2); into a pipe csv is the
// data as it is.
func TestQueryOnATerminal(t *testing.T) {
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("script(1) not on PATH: no terminal to run on")
	}
	root := queryRoot(t)
	sql := `SELECT 'a' || chr(27) || '[2K' || chr(8238) || 'x' AS v`
	onTerminal := func(args ...string) result {
		t.Helper()
		sh := filepath.Join(t.TempDir(), "run.sh")
		line := "exec '" + binary + "'"
		for _, a := range args {
			line += " '" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		if err := os.WriteFile(sh, []byte(line+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return runCommand(t, exec.Command("script", "-qec", "sh "+sh, "/dev/null"))
	}
	r := onTerminal("--root", root, "query", "--format", "csv", sql)
	if r.code != 0 || strings.ContainsAny(r.stdout, "\x1b\u202e") || !strings.Contains(r.stdout, `a\x1b[2K\u202ex`) {
		t.Errorf("csv on a terminal: exit %d, want the escapes shown\n%q", r.code, r.stdout)
	}
	// And json, in escapes any JSON reader reads as the same text (a
	// review of the csv fix).
	// Beyond U+FFFF as a surrogate pair (five hex digits read as
	// another character: a review).
	r = onTerminal("--root", root, "query", "--format", "jsonl", sql+`, 'b' || chr(917569) AS w`)
	if r.code != 0 || strings.ContainsAny(r.stdout, "\x1b\u202e\U000E0041") || !strings.Contains(r.stdout, `"a\u001b[2K\u202ex"`) || !strings.Contains(r.stdout, `"b\udb40\udc41"`) {
		t.Errorf("jsonl on a terminal: exit %d, want the escapes shown\n%q", r.code, r.stdout)
	}
	var row map[string]string
	if line, _, _ := strings.Cut(strings.TrimSpace(r.stdout), "\r"); json.Unmarshal([]byte(line), &row) != nil || row["w"] != "b\U000E0041" {
		t.Errorf("jsonl on a terminal does not read back as the text: %q", r.stdout)
	}
	if r := onTerminal("--root", root, "query", "--format", "arrow", "SELECT 1"); r.code != 2 || !strings.Contains(r.stdout, "not for a terminal") {
		t.Errorf("arrow on a terminal: exit %d, want 2\n%q", r.code, r.stdout)
	}
	if r := mustRun(t, "--root", root, "query", "--format", "csv", sql); r.stdout != "v\na\x1b[2K\u202ex\n" {
		t.Errorf("csv into a pipe: %q, want the data as it is", r.stdout)
	}
}

// TestQueryErrorIsReadable: the engine's message about a mistake in the
// SQL has several lines (the candidate columns, the statement with a caret
// under the fault); folded into one log line, its newlines and quotes came
// out escaped and the caret pointed nowhere (an outside review). It is
// printed as the engine wrote it, exit 1, with any control character from
// quoted ledger text still escaped.
func TestQueryErrorIsReadable(t *testing.T) {
	root := queryRoot(t)
	r := ledgerlens(t, nil, "--root", root, "query", "SELECT scenario, count(*) FROM runs GROUP BY 1")
	if r.code != 1 || !strings.Contains(r.stderr, "\n    LINE 1: SELECT scenario") || !strings.Contains(r.stderr, `"scenario"`) ||
		strings.Contains(r.stderr, `\n`) || strings.Contains(r.stderr, `\"`) {
		t.Errorf("exit %d, stderr %q: want the engine's message line by line, exit 1", r.code, r.stderr)
	}
	r = ledgerlens(t, nil, "--root", root, "query", "SELECT CAST('a' || chr(27) || '[31m' AS INTEGER)")
	if r.code != 1 || strings.Contains(r.stderr, "\x1b") || !strings.Contains(r.stderr, `\x1b`) {
		t.Errorf("exit %d, stderr %q: want the control character escaped", r.code, r.stderr)
	}
}
