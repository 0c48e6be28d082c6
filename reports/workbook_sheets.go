package reports

import (
	"fmt"
	"sort"
	"strings"
)

// This file holds the block helpers the weekly sheets share. Each section's
// sheet is laid out in workbook_<JSON key>.go (docs/ARCHITECTURE.md, "To
// change a weekly section"); workbook.go lists the sheets in order.

// kvRow is one row of a block whose rows differ in kind (labelled values).
type kvRow func(r *rowBuf)

// rowsBlock is a block whose rows are given one function each.
func rowsBlock(name, title string, cols []tableColumn, rows []kvRow) *sheetBlock {
	return &sheetBlock{
		name:  name,
		title: title,
		cols:  cols,
		n:     len(rows),
		row:   func(i int, r *rowBuf) { rows[i](r) },
	}
}

// noteBlock is a list of explanatory lines under an optional heading.
func noteBlock(name, title string, lines []string) *sheetBlock {
	return &sheetBlock{
		name:  name,
		title: title,
		n:     len(lines),
		row:   func(i int, r *rowBuf) { r.styled(kNote, lines[i]) },
	}
}

// headers makes uncoloured columns with the given header texts.
func headers(names ...string) []tableColumn {
	out := make([]tableColumn, len(names))
	for i, h := range names {
		out[i] = tableColumn{header: h}
	}
	return out
}

// zoneName names the zone the workbook's dates are shown in, for headers.
func (b *workbookBuilder) zoneName() string { return b.opts.Location.String() }

// rejectsFile is the name of the rejects file published with this
// revision of the report (rejects_cumulative_D.rK.jsonl for revision K):
// a later revision's file holds the rejects found since the first.
func (b *workbookBuilder) rejectsFile() string {
	return Name(RejectsBase(b.day), max(b.w.Revision, 1), ".jsonl")
}

// kindCounts renders a map of counts as "a: 1, b: 2" in key order.
func kindCounts(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// inputsBlock lists a report's inputs: the ledger as far as the report
// covers it, then every input file, each with its size and SHA-256 (the
// About sheet of both workbooks). filter adds an autofilter.
func inputsBlock(in Inputs, filter bool) *sheetBlock {
	led, files := in.Ledger, in.Files
	return &sheetBlock{
		name: "inputs", title: "Inputs",
		cols: headers("Role", "Path", "Bytes", "SHA-256"), n: 1 + len(files),
		filter: filter,
		row: func(i int, r *rowBuf) {
			if i == 0 {
				r.text("ledger (covered)")
				r.text(led.Path)
				r.int(led.BytesCovered)
				r.overflow(led.SHA256)
				return
			}
			x := &files[i-1]
			r.text(x.Role)
			r.text(x.Path)
			r.int(x.Bytes)
			r.overflow(x.SHA256)
		},
	}
}
