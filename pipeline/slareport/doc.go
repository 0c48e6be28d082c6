// Package slareport computes the monthly SLA report (docs/RULES.md, "Exit status" `report sla`)
// from the validated inputs, the store, the baseline records and the audit
// log's publication events: per-service availability against its SLO (the
// weekly review's reliability logic, review.Services, over a calendar
// month), the month's incidents, and the three SLA clocks of the SRE
// runbook — independent operator review, maker-checker approval and
// third-party observation of exceptions — with every breach.
//
// It only computes the report model. It must not take the lock, write
// files, sign, publish or append to the audit log, and it never reads the
// wall clock: "now" (Input.AsOf) matters only for items whose clock has not
// run out yet, and arrives as a parameter.
package slareport
