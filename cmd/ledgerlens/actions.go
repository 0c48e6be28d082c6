package main

import (
	"fmt"
	"io"

	"github.com/ledgerlens/ledgerlens/reports"
)

// printActionRequired writes the report's action-required list, most
// severe first, one line per item — what the Summary sheet opens with.
func printActionRequired(w io.Writer, items []reports.ActionRequiredItem) {
	if items == nil {
		return // a report published before it had the list
	}
	if len(items) == 0 {
		fmt.Fprintln(w, "  action required: nothing this week")
		return
	}
	fmt.Fprintf(w, "  action required (%d):\n", len(items))
	for _, it := range items {
		// The text quotes ledger values (run ids, scenario names): their
		// control characters are shown escaped, as query's table does.
		fmt.Fprintf(w, "    %-4s  %s\n", it.Severity, escapeControl(it.Text))
	}
}
