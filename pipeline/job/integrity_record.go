package job

import "github.com/ledgerlens/ledgerlens/pipeline/audit"

// FieldProblemsFound is the job_end field in which the integrity check
// (pipeline.RunIntegrity) records the problems it found: [] when none.
const FieldProblemsFound = "problems"

// FieldIntegrityProblems is the job_end field in which any job records the
// integrity problems it ended with (Outcome.Integrity); absent when none.
// Which alarms are told again reads it (AfterLastCleanCheck): one name,
// for a misspelling would change that silently.
const FieldIntegrityProblems = "integrity_problems"

// FoundProblems are the integrity problems one job recorded in its
// job_end, and when.
type FoundProblems struct {
	At       string // the entry's time, RFC 3339
	Problems []string
}

// ProblemsFound lists, oldest first, the lists of integrity problems the
// job_end entries of entries record, each as the job reported it: the
// integrity check's (FieldProblemsFound) and any job's
// (FieldIntegrityProblems). A check refused before its job started records
// none.
func ProblemsFound(entries []audit.Entry) []FoundProblems {
	var out []FoundProblems
	for _, e := range entries {
		if e.Event != audit.EventJobEnd {
			continue
		}
		for _, f := range []string{FieldProblemsFound, FieldIntegrityProblems} {
			list, _ := e.Fields[f].([]any)
			var problems []string
			for _, p := range list {
				if s, ok := p.(string); ok {
					problems = append(problems, s)
				}
			}
			if len(problems) > 0 {
				out = append(out, FoundProblems{At: e.Time, Problems: problems})
			}
		}
	}
	return out
}

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
		if _, sealed := e.Fields[FieldIntegrityProblems]; ok && len(problems) == 0 && !sealed {
			return i + 1
		}
	}
	return 0
}
