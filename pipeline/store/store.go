package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/marcboeker/go-duckdb"

	"github.com/ledgerlens/ledgerlens/pipeline/ledger"
)

//go:embed sql/schema.sql
var schemaSQL string

// runsViewSQL defines the ledger_rows_decoded and runs views. They are
// replaced on every writable open, so a better plan for them reaches
// existing stores without a reload.
//
//go:embed sql/runs_view.sql
var runsViewSQL string

// nulTextSQL counts the stored text values holding U+0000.
//
//go:embed sql/nul_text.sql
var nulTextSQL string

// The schema migration's statements (migrate, rebuild, migrateTailFold,
// migrateRowBounds) and its reads of store_meta. The files of several
// statements run them one at a time (statements).
var (
	//go:embed sql/store_schema_version.sql
	storeSchemaVersionSQL string
	//go:embed sql/create_store_meta.sql
	createStoreMetaSQL string
	//go:embed sql/ledger_rows_present.sql
	ledgerRowsPresentSQL string
	//go:embed sql/drop_derived_tables.sql
	dropDerivedTablesSQL string
	//go:embed sql/record_schema_version.sql
	recordSchemaVersionSQL string
	//go:embed sql/migrate_to_v8.sql
	migrateToV8SQL string
	//go:embed sql/credits_above_max.sql
	creditsAboveMaxSQL string
	//go:embed sql/migrate_to_v10.sql
	migrateToV10SQL string
)

// schemaVersion changes whenever schema.sql changes a derived table's shape.
// The loaded ledger is derived state (the ledger file is the source of
// truth), so a store of another version drops its derived tables and the
// next ingest reloads the ledger; ingest_log, the store's own history,
// is kept.
//
// Version 7 stores ledger_rows' repeated text columns as codes (codes.go);
// a version 6 store is rebuilt from the ledger like any older one. Version
// 8 adds ledger_state.tail_fold, which a version 7 store gains in place
// (migrateTailFold): its rows stay. Version 9 holds no credit value above
// ledger.MaxCredits, which earlier versions loaded and the review cannot
// sum: a version 7 or 8 store holding one is rebuilt, and one without
// only has its version raised (migrateRowBounds). Version 10 holds no
// text with U+0000 (ledger.CodeNULInText), which earlier versions loaded
// and the engine's side tables cut short, and keeps its codes as UINTEGER
// (USMALLINT before: 65,536 distinct values of one column stopped every
// ingest): a version 7 to 9 store holding such text is rebuilt, and one
// without has its code columns widened in place (migrateRowBounds).
const schemaVersion = 10

// zoneSchemaVersion is the first version with ts_local and the recorded
// time zone (see zone.go).
const zoneSchemaVersion = 6

// wideCodesSchemaVersion is the first version whose codes are UINTEGER
// (USMALLINT before).
const wideCodesSchemaVersion = 10

// codesSchemaVersion is the first version whose ledger_rows keeps the
// repeated text as codes: the layout runs_view.sql reads and schema.sql
// creates (catalog.go compares a store's tables with it from there on).
const codesSchemaVersion = 7

// Options tune the DuckDB engine. The zero value is sensible defaults.
type Options struct {
	// ReadOnly opens the database without write access.
	ReadOnly bool
	// Sandbox is for SQL written by a person (ledgerlens query): the
	// database is opened read-only with DuckDB's external access off (no
	// file reads or writes, no ATTACH, COPY, EXPORT, INSTALL or LOAD, no
	// network), spilling to disk is capped (sandboxSpill), and the
	// configuration is locked before Open returns, so
	// no statement can switch any of that back on. Sandbox implies
	// ReadOnly.
	Sandbox bool
	// CatalogVouched skips the check of the file's catalog (catalog.go)
	// for a writable open of store files that are byte for byte the ones
	// a job sealed after its own open checked them (job.Job.OpenStore):
	// the check reads every function the engine knows, some 25 ms.
	CatalogVouched bool
	// TimeZone is the IANA zone of the runs view's ts_local and day_local
	// columns, computed in Go at ingest. "" keeps the zone the store was
	// built with (UTC for a new store); another zone than the recorded
	// one makes a writable open drop the derived tables, so the next
	// ingest rebuilds them from the ledger. A read-only open ignores it.
	TimeZone string
	// MemoryLimit caps DuckDB's buffer manager, e.g. "1GB". The default,
	// "512MB", is what `query` and `verify` open with; jobs take half
	// (job.StoreOptions). A larger pool is no faster: beyond a job's
	// working set it only takes fresh memory, whose first touch costs
	// more than reusing evicted buffers (10M-run cold job: 768MB 36.4 s,
	// 512MB 32.0 s; bench/HISTORY.md).
	MemoryLimit string
	// Threads is DuckDB's worker count (default: all cores).
	Threads int
	// DeferCheckpoint keeps DuckDB from checkpointing at every commit and
	// on close. Committed data is durable either way (large appends are
	// written to the file, the WAL records the commit); the checkpoint —
	// compacting the appended row groups, ~1.4 s after a week's append to
	// a million runs — is then amortised: an ingest checkpoints only once
	// the rows appended since the last checkpoint exceed a quarter of the
	// table, and after a full load; that ingest's commit checkpoints
	// instead of writing its rows to the WAL first. An insert on several
	// threads checkpoints at its commit too, and an ingest that leaves
	// more WAL than CheckpointWALBytes checkpoints after it. Jobs set
	// it; ad-hoc tools need not.
	DeferCheckpoint bool
	// CheckpointWALBytes caps the WAL a deferring ingest leaves behind
	// (default defaultCheckpointWALBytes); see Store.checkpointLargeWAL.
	CheckpointWALBytes int64
	// spillElsewhere says the process is not the store directory's owner
	// (Dir.Open), and spillDir is where it then spills (open).
	spillElsewhere bool
	spillDir       string
}

// Store is the DuckDB database holding the loaded ledger.
type Store struct {
	path string // where the engine reaches the file
	name string // the file as messages name it
	dir  *Dir   // closed with the store (Dir.OpenOwned)
	// spillDir is the process's own directory to spill to, removed by
	// Close ("" when it spills beside the store).
	spillDir string
	db       *sql.DB
	// conn is the connection every statement runs on: DuckDB
	// transactions and registered Arrow views are per connection. (Only
	// earlierRuns reads on a second one, beside an append's insert, and a
	// reader given Second.)
	conn *sql.Conn
	// arrow shares conn's driver connection for zero-copy batch transfer.
	arrow *duckdb.Arrow
	// Progress, when set, is called as an ingest reads the ledger with the
	// bytes read so far and the bytes to read.
	Progress func(done, total int64)
	// TrustedChunk, when set, reports whether the caller vouches that the
	// stored rows of a ledger chunk are still the rows the ingests loaded
	// (a job: the store seal it opened under covers the chunk). An ingest
	// that extends that chunk then resumes its row digest from the fold
	// the last ingest saved (ledger_state.tail_fold) instead of reading the
	// chunk's rows back. It must not vouch for rows it has not checked: an
	// edit of them would then go into the new digest unseen.
	TrustedChunk func(chunk int64) bool
	// RecordedPrefix, when set, reports whether the caller's own record (a
	// job: the audit log) holds sha as the digest of the ledger's first
	// covered bytes. When the append-only check finds a chunk changed but
	// the ledger still hashes to the store's prefix digest, the ingest
	// takes the chunk digests for what was edited only if that digest is
	// recorded here: the store's digest alone could have been rewritten
	// with the ledger, and the ledger's edit would then go unrecorded.
	// Unset, the store's own digest is believed (the verifiers hold the
	// ledger to the log themselves).
	RecordedPrefix func(covered int64, sha string) bool
	// deferCheckpoint: see Options.DeferCheckpoint.
	deferCheckpoint bool
	// walCap: see Options.CheckpointWALBytes.
	walCap int64
	// threads is DuckDB's worker count as opened (Options.Threads or the
	// engine's default).
	threads int
	// zone and loc are the time zone of ts_local (zone.go).
	zone string
	loc  *time.Location
	// readOnly: the store was opened read-only, its views defined on
	// each connection (tempViewsSQL) rather than kept in the file.
	readOnly bool
	// second: this Store is another's second connection (Second), whose
	// Close returns the connection and leaves the database open.
	second bool
	// version is the store's schema version: schemaVersion after a
	// writable open (migrate), possibly older on a read-only one, whose
	// derived state (the chunk digests among it) is then not this
	// version's until a writable open rebuilds it.
	version int
}

// Open opens (creating if needed) the store at path and brings its schema up
// to date. A read-only open of a missing store is an error. The commands
// open their root's store through its Dir instead; Open is for stores of
// the process's own making (a verification's scratch store, tests, the
// benchmarks).
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	return open(ctx, path, path, opts)
}

// open is Open of the store the engine reaches at path, which messages
// call name.
func open(ctx context.Context, path, name string, opts Options) (*Store, error) {
	if opts.ReadOnly || opts.Sandbox {
		if _, err := os.Stat(path); err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err // named below
			}
			return nil, fmt.Errorf("open store %s: %w (run `ledgerlens ingest` first)", name, err)
		}
	} else if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("open store %s: %w", name, err)
	}
	if opts.Sandbox {
		opts.ReadOnly = true
	}
	// The driver takes the file name up to the first '?' and its
	// configuration from the URL query, which url.Parse ends at a '#': a
	// path holding either would let its text choose the engine's settings
	// (external access on, for a sandboxed query), or drop them all.
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("open store %s: the path holds '?' or '#', which the DuckDB driver reads as its own configuration: move the root to a path without them", name)
	}
	if _, err := url.Parse(path); err != nil {
		return nil, fmt.Errorf("open store %s: the DuckDB driver reads the path as a URL and cannot (%v): move the root to a path without '%%' not followed by two hex digits", name, err)
	}
	if opts.spillElsewhere {
		// Not the store directory's owner (Dir.Open): spill into a
		// directory of its own, removed when the store is closed, or
		// by the next one after a kill (scratchDir). (With no
		// temporary directory to write, a statement that needs to
		// spill fails saying so.)
		if dir, err := scratchDir(spillPrefix); err == nil {
			opts.spillDir = dir
		}
	} else if err := removeSpill(path); err != nil {
		return nil, fmt.Errorf("open store %s: %w", name, err)
	}
	connector, err := duckdb.NewConnector(path+"?"+engineConfig(opts).Encode(), nil)
	if err != nil {
		removeAll(opts.spillDir)
		if strings.Contains(err.Error(), "Could not set lock on file") {
			err = &LockConflictError{Err: err}
		}
		return nil, fmt.Errorf("open store %s: %w", name, namedPaths(err, path, name))
	}
	db := sql.OpenDB(connector)
	// One connection runs every statement; an append's search of the
	// earlier rows (earlierRuns) takes a second one, which then stays open
	// until Close: closing a DuckDB connection drops its temporary
	// catalog, and with it DuckDB hands every freed page of its allocator
	// back to the kernel (Allocator::FlushAll), pages the job's next
	// allocations fault in again (bench/HISTORY.md).
	db.SetMaxOpenConns(2)
	db.SetMaxIdleConns(2)
	s := &Store{path: path, name: name, db: db, loc: time.UTC, spillDir: opts.spillDir, readOnly: opts.ReadOnly}
	if err := s.init(ctx, opts); err != nil {
		db.Close()
		removeAll(opts.spillDir)
		return nil, fmt.Errorf("open store %s: %w", name, namedPaths(err, path, name))
	}
	return s, nil
}

// namedPathsError is an engine error whose text named the store's files
// by the path this process reaches them through (a handle on the store's
// directory, /proc/self/fd/N/…: Dir.Path), with the directory's name in
// its place: "Cannot open file /proc/self/fd/9/ledger.duckdb.wal" named
// nothing an operator can look at (an outside review).
type namedPathsError struct {
	msg string
	err error
}

func (e *namedPathsError) Error() string { return e.msg }
func (e *namedPathsError) Unwrap() error { return e.err }

// namedPaths is err with the directory of path, the store file as this
// process opened it, named as the directory of name, the store file as a
// person names it.
func namedPaths(err error, path, name string) error {
	dir, named := filepath.Dir(path)+"/", filepath.Dir(name)+"/"
	if err == nil || dir == named || !strings.Contains(err.Error(), dir) {
		return err
	}
	return &namedPathsError{msg: strings.ReplaceAll(err.Error(), dir, named), err: err}
}

// NotDamaged says what to do when err, the engine's, says the store's
// files could not be read or written for want of permission or space:
// the store is not damaged, and moving it away would only cost a
// rebuild. ok is false for any other error.
func NotDamaged(err error) (remedy string, ok bool) {
	if err == nil {
		return "", false
	}
	msg := err.Error()
	switch {
	case errors.Is(err, fs.ErrPermission) || strings.Contains(msg, "Permission denied"):
		return "the account running ledgerlens may not read or write the store's files; the store is not damaged: give them back to the account that runs the jobs (files 0600 in a 0700 directory), then run again", true
	case strings.Contains(msg, "Read-only file system"):
		return "the store's file system is mounted read-only; the store is not damaged: mount it read-write, then run again", true
	case strings.Contains(msg, "No space left on device") || strings.Contains(msg, "Disk quota exceeded"):
		return "the store's file system is full; the store is not damaged: free space, then run again", true
	}
	return "", false
}

// removeSpill removes what the engine spilled beside the store (its
// temporary directory, path + ".tmp") and left there: a process killed
// while spilling — a query, by the OOM killer or a timeout's SIGKILL —
// leaves up to its spill limit each time, on the filesystem the ledger and
// the evidence share, and the engine never removes another process's
// files. Every command opens the store holding the root's lock, so no
// other process is spilling there now.
func removeSpill(path string) error {
	dir := path + ".tmp"
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read the engine's temporary directory: %w", err)
	}
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasPrefix(e.Name(), "duckdb_temp_") {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("remove a spilled file left behind: %w", err)
			}
		}
	}
	return nil
}

// engineConfig is the DuckDB configuration set when the database is opened,
// before any statement runs. No open ever installs or loads an extension
// by itself: a reporting host never fetches code. A sandboxed open also
// turns external access off, which DuckDB refuses to turn back on while
// the database is open.
func engineConfig(opts Options) url.Values {
	v := url.Values{}
	v.Set("autoinstall_known_extensions", "false")
	v.Set("autoload_known_extensions", "false")
	if opts.ReadOnly {
		v.Set("access_mode", "READ_ONLY")
	}
	if opts.spillDir != "" {
		v.Set("temp_directory", opts.spillDir)
	}
	if opts.Sandbox {
		v.Set("enable_external_access", "false")
		v.Set("allow_community_extensions", "false")
	}
	return v
}

// checkEngineConfig makes sure the engine runs with every setting
// engineConfig asked for, whatever the driver made of the connection
// string: a sandboxed query must never run with external access on.
func checkEngineConfig(ctx context.Context, conn *sql.Conn, opts Options) error {
	want := engineConfig(opts)
	for _, k := range slices.Sorted(maps.Keys(want)) {
		var got string
		if err := conn.QueryRowContext(ctx, "SELECT current_setting(?)::VARCHAR", k).Scan(&got); err != nil {
			return fmt.Errorf("read setting %s: %w", k, err)
		}
		if !strings.EqualFold(got, want.Get(k)) {
			return fmt.Errorf("the engine runs with %s = %s, not %s as asked: refusing to use it", k, got, want.Get(k))
		}
	}
	return nil
}

func (s *Store) init(ctx context.Context, opts Options) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	s.conn = conn
	// Before any other statement reads the store: an object ledgerlens
	// does not create may change what every later statement computes,
	// checkEngineConfig's current_setting among them.
	if !opts.CatalogVouched || opts.ReadOnly {
		if err := checkCatalog(ctx, conn, opts.Sandbox); err != nil {
			return err
		}
	}
	if err := checkEngineConfig(ctx, conn, opts); err != nil {
		return err
	}
	memory := opts.MemoryLimit
	if memory == "" {
		memory = "512MB"
	}
	// No "SET TimeZone": the ICU extension is not part of the statically
	// linked engine, so TIMESTAMPTZ values are UTC instants in SQL and every
	// calendar computation (periods, days in the configured zone) happens
	// in Go, passing instants as parameters.
	settings := []string{
		fmt.Sprintf("SET memory_limit = '%s'", memory),
		// Insertion order is irrelevant (every row carries line_no) and
		// preserving it costs memory on large inserts.
		"SET preserve_insertion_order = false",
	}
	if opts.Threads > 0 {
		settings = append(settings, fmt.Sprintf("SET threads = %d", opts.Threads))
	}
	s.deferCheckpoint = opts.DeferCheckpoint && !opts.ReadOnly
	s.walCap = opts.CheckpointWALBytes
	if s.walCap <= 0 {
		s.walCap = defaultCheckpointWALBytes
	}
	if s.deferCheckpoint {
		settings = append(settings, "SET checkpoint_threshold = "+deferredCheckpointThreshold, "PRAGMA disable_checkpoint_on_shutdown")
	}
	for _, q := range settings {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	if err := conn.QueryRowContext(ctx, "SELECT current_setting('threads')::INTEGER").Scan(&s.threads); err != nil {
		return fmt.Errorf("read the thread count: %w", err)
	}
	if !opts.ReadOnly {
		if err := s.migrate(ctx, opts.TimeZone); err != nil {
			return err
		}
		s.version = schemaVersion
	} else if s.version, err = readSchemaVersion(ctx, conn); err != nil {
		return err
	}
	if s.version >= zoneSchemaVersion {
		if err := s.readZone(ctx); err != nil {
			return err
		}
	}
	if opts.Sandbox && s.version != schemaVersion {
		// Its own views would be the file's, which anyone who can write
		// it may have changed (an outside review: a store_meta set to
		// version 6 showed an analyst a code_text swapping two statuses).
		return fmt.Errorf("the store is of schema version %d, not this ledgerlens's %d: run 'ledgerlens ingest' once (it brings the store up to date), then query again", s.version, schemaVersion)
	}
	if err := s.defineViews(ctx, conn); err != nil {
		return err
	}
	if opts.Sandbox {
		// A person's query spills to disk beside the store, on the
		// filesystem the ledger and the evidence usually share: at most
		// sandboxSpill of it, not the engine's default of 90 % of what is
		// free.
		if _, err := conn.ExecContext(ctx, "SET max_temp_directory_size = '"+sandboxSpill+"'"); err != nil {
			return fmt.Errorf("limit spilling: %w", err)
		}
		// Last: from here on no SET or PRAGMA can change a setting.
		if _, err := conn.ExecContext(ctx, "SET lock_configuration = true"); err != nil {
			return fmt.Errorf("lock configuration: %w", err)
		}
	}
	s.arrow, err = arrowOf(conn)
	return err
}

// defineViews defines the runs views on conn where they are the
// connection's own: on a read-only store. A writable open has just
// replaced the file's own definitions (migrate); a read-only store of an
// earlier layout (before a job brings it up to date) lacks the tables
// these views read.
func (s *Store) defineViews(ctx context.Context, conn *sql.Conn) error {
	if !s.readOnly || s.version < codesSchemaVersion {
		return nil
	}
	if _, err := conn.ExecContext(ctx, tempViewsSQL()); err != nil {
		return fmt.Errorf("define the runs views: %w", err)
	}
	return nil
}

// arrowOf is the driver's Arrow interface to conn's DuckDB connection:
// registered views and Arrow results on that connection, with no value
// passing through statement parameters. It is valid while conn is open.
func arrowOf(conn *sql.Conn) (*duckdb.Arrow, error) {
	var a *duckdb.Arrow
	err := conn.Raw(func(dc any) error {
		c, ok := dc.(driver.Conn)
		if !ok {
			return errors.New("duckdb driver connection has unexpected type")
		}
		var err error
		a, err = duckdb.NewArrowFromConn(c)
		return err
	})
	return a, err
}

// readSchemaVersion returns the version store_meta records, 0 for a store
// without it (one from before versioning).
func readSchemaVersion(ctx context.Context, conn *sql.Conn) (int, error) {
	var version int
	err := conn.QueryRowContext(ctx, storeSchemaVersionSQL).Scan(&version)
	if missingTable(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return version, nil
}

// missingTable reports whether err is the engine's refusal to read a table
// that does not exist. A table's presence is probed by reading it: the
// catalog views (information_schema.tables, duckdb_tables()) enumerate
// every table's storage, 15–20 ms on their first use after an open, which
// every job's open would pay.
func missingTable(err error) bool {
	var de *duckdb.Error
	return errors.As(err, &de) && de.Type == duckdb.ErrorTypeCatalog && strings.Contains(de.Msg, "does not exist")
}

// migrate brings the schema to schemaVersion in one transaction, and the
// local-time columns to zone ("" keeps the recorded zone). A store already
// at schemaVersion only has its views replaced (and its zone changed, when
// zone asks for another one).
func (s *Store) migrate(ctx context.Context, zone string) error {
	version, err := readSchemaVersion(ctx, s.conn)
	if err != nil {
		return err
	}
	if version == 7 {
		if err := s.migrateTailFold(ctx); err != nil {
			return fmt.Errorf("migrate store schema from version 7 to 8: %w", err)
		}
		version = 8
	}
	if version == 8 || version == 9 {
		within, err := s.migrateRowBounds(ctx, version)
		if err != nil {
			return fmt.Errorf("migrate store schema from version %d to %d: %w", version, schemaVersion, err)
		}
		if within {
			version = schemaVersion
		}
	}
	if version == schemaVersion {
		return s.migrateZone(ctx, version, zone)
	}
	for _, q := range statements(createStoreMetaSQL) {
		if _, err := s.conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
	}
	if version == 0 {
		// No version recorded: a new database, or one from before
		// versioning, whose derived tables must be rebuilt.
		var n int
		err := s.conn.QueryRowContext(ctx, ledgerRowsPresentSQL).Scan(&n)
		switch {
		case missingTable(err):
		case err != nil:
			return fmt.Errorf("read schema version: %w", err)
		default:
			version = 1
		}
	}
	if zone == "" && version >= zoneSchemaVersion {
		// Rebuilt, the rows keep the zone they were recorded in.
		if err := s.readZone(ctx); err != nil {
			return err
		}
		zone = s.zone
	}
	if zone == "" {
		zone = "UTC"
	}
	if err := s.rebuild(ctx, version, zone); err != nil {
		return fmt.Errorf("migrate store schema from version %d to %d: %w", version, schemaVersion, err)
	}
	return nil
}

// rebuild drops the tables derived from the ledger (a store of version 0
// has none) and creates the current schema with zone recorded, in one
// transaction: the next ingest loads the whole ledger again. The ingest
// log is kept.
func (s *Store) rebuild(ctx context.Context, version int, zone string) error {
	stmts := []string{"BEGIN TRANSACTION"}
	if version != 0 {
		stmts = append(stmts, statements(dropDerivedTablesSQL)...)
	}
	// record_schema_version.sql: its last statement, the insert, takes
	// the version and zone; the ones before it run here.
	meta := statements(recordSchemaVersionSQL)
	stmts = append(stmts, schemaSQL, runsViewSQL)
	stmts = append(stmts, meta[:len(meta)-1]...)
	for _, q := range stmts {
		if _, err := s.conn.ExecContext(ctx, q); err != nil {
			s.rollback(ctx)
			return fmt.Errorf("rebuild the store's tables: %w", err)
		}
	}
	if _, err := s.conn.ExecContext(ctx, meta[len(meta)-1], schemaVersion, zone); err != nil {
		s.rollback(ctx)
		return fmt.Errorf("record the schema version: %w", err)
	}
	if _, err := s.conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("commit the rebuilt schema: %w", err)
	}
	return nil
}

// migrateTailFold brings a version 7 store to version 8 in one
// transaction (sql/migrate_to_v8.sql): ledger_state gains tail_fold, NULL, so the next ingest reads
// its tail chunk's rows back once, as a version 7 ingest did.
func (s *Store) migrateTailFold(ctx context.Context) error {
	stmts := append(append([]string{"BEGIN TRANSACTION"}, statements(migrateToV8SQL)...), "COMMIT")
	for _, q := range stmts {
		if _, err := s.conn.ExecContext(ctx, q); err != nil {
			s.rollback(ctx)
			return err
		}
	}
	return nil
}

// migrateRowBounds raises a version 8 or 9 store to the current version
// in place when its rows hold nothing a later version rejects — a credit
// value above ledger.MaxCredits (version 8, sql/credits_above_max.sql),
// text with U+0000 (both, sql/nul_text.sql) — widening its code columns to
// UINTEGER (sql/migrate_to_v10.sql), and reports whether it did; a
// store that holds some is left for migrate to rebuild, so that the next
// ingest loads the ledger again and rejects those lines.
func (s *Store) migrateRowBounds(ctx context.Context, version int) (bool, error) {
	if version == 8 {
		var beyond int64
		if err := s.conn.QueryRowContext(ctx, creditsAboveMaxSQL, ledger.MaxCredits).Scan(&beyond); err != nil {
			return false, fmt.Errorf("look for credits above %g: %w", ledger.MaxCredits, err)
		}
		if beyond > 0 {
			return false, nil
		}
	}
	var nul int64
	if err := s.conn.QueryRowContext(ctx, nulTextSQL).Scan(&nul); err != nil {
		return false, fmt.Errorf("look for text holding U+0000: %w", err)
	}
	if nul > 0 {
		return false, nil
	}
	stmts := append(append([]string{"BEGIN TRANSACTION"}, statements(migrateToV10SQL)...), "COMMIT")
	for _, q := range stmts {
		if _, err := s.conn.ExecContext(ctx, q); err != nil {
			s.rollback(ctx)
			return false, fmt.Errorf("widen the codes: %s: %w", q, err)
		}
	}
	return true, nil
}

// sandboxSpill is how much a sandboxed query may spill to disk.
const sandboxSpill = "2GB"

// spillPrefix begins the name of the directory a reader that does not own
// the store's directory spills into (scratchDir).
const spillPrefix = "ledgerlens-spill-"

// deferredCheckpointThreshold keeps DuckDB from checkpointing by itself
// (Options.DeferCheckpoint); checkpointAtCommitThreshold, set just before
// a COMMIT, makes that commit checkpoint instead of writing the WAL.
const (
	deferredCheckpointThreshold = "'1TB'"
	checkpointAtCommitThreshold = "'1KB'"
)

// defaultCheckpointWALBytes is the most WAL a deferring ingest leaves
// behind. Every open of the store, a job's or a `query`'s, replays the
// whole WAL first: about 20 ms per MiB here, so a year-long ledger's
// weekly appends (4 MiB of WAL each) left for a quarter made every open
// a second slower. And a read-only open (`query`, `verify`) failed to
// replay the 136 MB WAL a ten-million-run week left ("Could not write
// file … Bad file descriptor"), while it replayed the year-long ledger's
// 49 MB; where between the engine starts to need a write is not known,
// so the cap stays far below both (bench/HISTORY.md, "The WAL a deferred
// checkpoint leaves").
const defaultCheckpointWALBytes = 8 << 20

// Path is the database file as messages name it.
func (s *Store) Path() string { return s.name }

// Conn is the store's connection, for queries. Callers must not keep
// transactions open across calls into the store.
func (s *Store) Conn() *sql.Conn { return s.conn }

// Arrow is the columnar query interface on the store's connection.
func (s *Store) Arrow() *duckdb.Arrow { return s.arrow }

// Close checkpoints and closes the database; a second connection's Close
// (Second) only gives the connection back.
func (s *Store) Close() error {
	if s.second {
		return s.conn.Close()
	}
	var errs []error
	if s.conn != nil {
		errs = append(errs, s.conn.Close())
	}
	errs = append(errs, s.db.Close())
	if s.dir != nil {
		errs = append(errs, s.dir.Close())
	}
	removeAll(s.spillDir)
	return errors.Join(errs...)
}

// removeAll removes a directory of the process's own making, if any.
func removeAll(dir string) {
	if dir != "" {
		_ = os.RemoveAll(dir)
	}
}

// rollback ends the open transaction without its changes, on a background
// context (it must run even when the caller's was cancelled, or the
// connection stays inside the transaction), and puts the store's thread
// count back: a one-thread insert (insertArrow) that failed left the
// transaction aborted, where its own restore could not run.
func (s *Store) rollback(ctx context.Context) {
	ctx = context.WithoutCancel(ctx) // the rollback must run when ctx was cancelled
	_, _ = s.conn.ExecContext(ctx, "ROLLBACK")
	_, _ = s.conn.ExecContext(ctx, fmt.Sprintf("SET threads = %d", s.threads))
}
