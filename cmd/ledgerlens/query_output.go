package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"

	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/store"
)

// maxTableRows caps --format table, the one format that must hold every
// row before it prints any (its column widths depend on all of them). The
// other formats stream, whatever the result's size.
const maxTableRows = 10000

// writeTable renders a query result as table, csv, json (one array) or
// jsonl (one object per line), row by row as they are read, so the
// result is never held twice (the engine holds it once: go-duckdb
// materialises a result before its first row is read). Values are rendered
// by their SQL type, so a DATE prints as a date and a zone-less TIMESTAMP
// without a zone. A table shows at most maxTableRows rows and then says
// how many there were and how to get all of them (on the last line of out
// and on notice).
func writeTable(out, notice io.Writer, r *store.Rows, format string) error {
	w := bufio.NewWriterSize(out, 1<<16)
	var err error
	switch format {
	case "csv":
		err = writeCSV(w, r, isTerminal(out))
	case "json", "jsonl":
		err = writeJSON(w, r, format == "jsonl", isTerminal(out))
	default:
		err = writeTabular(w, notice, r)
	}
	if err != nil {
		return err
	}
	if err := r.Err(); err != nil {
		return err
	}
	return w.Flush()
}

// colTypes parses the result's column types once.
func colTypes(r *store.Rows) []*colType {
	ts := make([]*colType, len(r.Types))
	for i, t := range r.Types {
		ts[i] = parseColType(t)
	}
	return ts
}

// writeCSV writes the result as CSV (RFC 4180, lines ending in \n): a
// NULL is an empty field, and an empty text a quoted one (""), as the
// engine's own CSV export writes them, so that a missing value is never
// read as an empty one (encoding/csv writes both as nothing).
//
// On a terminal (screen) the fields' control and format characters are
// shown as escapes, as the table shows them: ledger text printed raw
// erased the row above it and retitled the window (an outside review).
// Into a file or a pipe the data goes as it is.
func writeCSV(w *bufio.Writer, r *store.Rows, screen bool) error {
	var line []byte
	for i, c := range r.Columns {
		line = appendCSVField(line, i, c, false)
	}
	if _, err := w.Write(append(line, '\n')); err != nil {
		return err
	}
	types := colTypes(r)
	for r.Next() {
		line = line[:0]
		for i, v := range r.Values() {
			field := cellText(v, types[i])
			if screen {
				field = escapeControl(field)
			}
			line = appendCSVField(line, i, field, v != nil)
		}
		if _, err := w.Write(append(line, '\n')); err != nil {
			return err
		}
	}
	return nil
}

// appendCSVField appends field i of a CSV line: quoted when it holds a
// comma, a quote, a line end or leading white space (the cases
// encoding/csv quotes), or when it is an empty text (quoteEmpty) rather
// than a NULL.
func appendCSVField(line []byte, i int, field string, quoteEmpty bool) []byte {
	if i > 0 {
		line = append(line, ',')
	}
	r, _ := utf8.DecodeRuneInString(field)
	quote := (field == "" && quoteEmpty) || field == `\.` ||
		strings.ContainsAny(field, ",\"\r\n") || (field != "" && unicode.IsSpace(r))
	if !quote {
		return append(line, field...)
	}
	line = append(line, '"')
	line = append(line, strings.ReplaceAll(field, `"`, `""`)...)
	return append(line, '"')
}

func writeJSON(w *bufio.Writer, r *store.Rows, lines, screen bool) error {
	// An object cannot hold one key twice (a reader keeps one of them):
	// refused before anything is written.
	if dup := duplicateColumn(r.Columns); dup != "" {
		return fmt.Errorf("the result has two columns named %q: name them apart (AS …) for JSON output", dup)
	}
	types := colTypes(r)
	keys := make([][]byte, len(r.Columns))
	for i, c := range r.Columns {
		keys[i], _ = json.Marshal(c)
	}
	if !lines {
		w.WriteString("[")
	}
	for n := 0; r.Next(); n++ {
		if !lines {
			if n > 0 {
				w.WriteString(",")
			}
			w.WriteString("\n  ")
		}
		w.WriteString("{")
		for i, v := range r.Values() {
			if i > 0 {
				w.WriteString(", ")
			}
			w.Write(keys[i])
			w.WriteString(": ")
			val, err := json.Marshal(jsonValue(v, types[i]))
			if err != nil {
				return fmt.Errorf("column %s: %w", r.Columns[i], err)
			}
			if screen {
				val = escapeHiddenJSON(val)
			}
			w.Write(val)
		}
		w.WriteString("}")
		if lines {
			w.WriteString("\n")
		}
	}
	if !lines {
		w.WriteString("\n]\n")
	}
	return nil
}

func writeTabular(w io.Writer, notice io.Writer, r *store.Rows) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := make([]string, len(r.Columns))
	for i, c := range r.Columns {
		header[i] = escapeControl(c)
	}
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	types := colTypes(r)
	n := 0
	for ; n < maxTableRows && r.Next(); n++ {
		cells := make([]string, len(r.Columns))
		for i, v := range r.Values() {
			if v == nil {
				cells[i] = "NULL" // not an empty text: --format json tells them from the text NULL
				continue
			}
			cells[i] = escapeControl(cellText(v, types[i]))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if n < maxTableRows {
		fmt.Fprintf(w, "(%d rows)\n", n)
		return nil
	}
	// Count the rest without keeping it: missing rows are said, never
	// silently left out.
	total := n
	for r.Next() {
		total++
	}
	if total == n {
		fmt.Fprintf(w, "(%d rows)\n", n)
		return nil
	}
	msg := fmt.Sprintf("%d rows, the first %d shown: --format csv, jsonl, json or parquet --out FILE gives all of them", total, n)
	fmt.Fprintf(w, "(%s)\n", msg)
	fmt.Fprintf(notice, "ledgerlens query: %s\n", msg)
	return nil
}

// escapeControl shows control and format characters (ESC, newline, tab,
// U+202E, …) as Go
// escapes, so ledger text cannot move the cursor or recolour a terminal,
// nor break the table's rows and columns.
func escapeControl(s string) string {
	if strings.IndexFunc(s, hiddenRune) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if hiddenRune(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// escapeHiddenJSON writes the format characters in the JSON text data
// as \u escapes, the same strings to any JSON reader: on a terminal
// U+202E turned the text after it around, as it did in the table and csv
// (a review of their fix). (encoding/json escapes the control characters
// and U+2028, U+2029 already.)
func escapeHiddenJSON(data []byte) []byte {
	if bytes.IndexFunc(data, hiddenRune) < 0 {
		return data
	}
	var b bytes.Buffer
	for _, r := range string(data) {
		switch {
		case !hiddenRune(r) || r <= 0x7f:
			b.WriteRune(r)
		case r > 0xffff:
			// A surrogate pair, as JSON spells one: five hex digits were
			// read as another character and a digit (a review).
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.Bytes()
}

// hiddenRune reports whether r acts on the terminal instead of showing:
// a control character, a format character (U+202E turned the text after
// it around, U+200B showed nothing: an outside review), or a line or
// paragraph separator (U+2028, U+2029: a review of that fix).
func hiddenRune(r rune) bool {
	return unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}

// writeArrowStream writes the result as an Arrow IPC stream, stopping
// when ctx ends (--timeout, a signal).
func writeArrowStream(ctx context.Context, w io.Writer, rr array.RecordReader) error {
	iw := ipc.NewWriter(w, ipc.WithSchema(rr.Schema()))
	for rr.Next() {
		if err := ctx.Err(); err != nil {
			iw.Close()
			return err
		}
		if err := iw.Write(rr.Record()); err != nil {
			iw.Close()
			return fmt.Errorf("write arrow stream: %w", err)
		}
	}
	if err := rr.Err(); err != nil {
		iw.Close()
		return fmt.Errorf("query: %w", err)
	}
	if err := iw.Close(); err != nil {
		return fmt.Errorf("write arrow stream: %w", err)
	}
	return nil
}

// writeParquet writes the result to path as one Parquet file (zstd). The
// directory is opened once and everything after happens through that
// handle: its real path (the kernel's, not a re-resolution a symlink swap
// could redirect) must lie outside root, the data goes to a new temporary
// file in it, and the file is linked into place, which fails rather than
// replace anything already there (checkOut checked the same before the
// wait for the lock, which an attacker could use to swap the directory).
// The engine that writes the Parquet (store.WriteParquet) opens the
// temporary file by /proc/self/fd/N: the file this process created, not
// a name in the directory. A failed or interrupted write (ctx ending:
// --timeout, a signal) leaves no file behind.
func writeParquet(ctx context.Context, l inputs.Layout, path string, rr array.RecordReader) error {
	fail := func(err error) error { return fmt.Errorf("write %s: %w", path, err) }
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return fail(err)
	}
	defer d.Close()
	handle := fmt.Sprintf("/proc/self/fd/%d", d.Fd())
	real, err := os.Readlink(handle)
	if err != nil {
		return fail(err)
	}
	if err := outsideProtected(l, "--out", path, real, "write query results elsewhere"); err != nil {
		return err
	}
	dir, err := os.OpenRoot(handle)
	if err != nil {
		return fail(err)
	}
	defer dir.Close()
	base := filepath.Base(path)
	tmp := fmt.Sprintf(".%s.%d.tmp", base, time.Now().UnixNano())
	f, err := dir.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fail(err)
	}
	defer dir.Remove(tmp) // after the link, or in place of it
	defer f.Close()
	if err := store.WriteParquet(ctx, rr, fmt.Sprintf("/proc/self/fd/%d", f.Fd())); err != nil {
		if ctx.Err() != nil {
			return err
		}
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := dir.Link(tmp, base); err != nil {
		return fail(err)
	}
	return d.Sync()
}
