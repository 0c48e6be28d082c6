package job

import "github.com/ledgerlens/ledgerlens/pipeline/audit"

// FieldProblemsFound is the job_end field in which the integrity check
// (pipeline.RunIntegrity) records the problems it found: [] when none.
const FieldProblemsFound = "problems"

// AfterLastCleanCheck is the index in entries just after the job_end of
// the newest integrity check that found no problem, 0 when there is
// none: what the log says happened before it is over. A receiver told of
// integrity problems before it is told again when they come back.
func AfterLastCleanCheck(entries []audit.Entry) int {
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		if e.Event != audit.EventJobEnd || e.Fields["job"] != NameIntegrityCheck || e.Fields["state"] != StateCompleted {
			continue
		}
		problems, ok := e.Fields[FieldProblemsFound].([]any)
		if _, sealed := e.Fields["integrity_problems"]; ok && len(problems) == 0 && !sealed {
			return i + 1
		}
	}
	return 0
}
