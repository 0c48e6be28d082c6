package review

import (
	"github.com/ledgerlens/ledgerlens/pipeline/ledger"
	"github.com/ledgerlens/ledgerlens/reports"
)

// spikeRuns fills section 3 (spike_runs.sql): each spike's flags
// (ledger.Flags) and its misconfiguration likelihood scored from them.
// The report's rows are built in the background (later) while the next
// sections query the store: no other section reads them.
func (a *analysis) spikeRuns() error {
	res, err := a.queryBatches("spike_runs", a.p.Start, a.p.End, a.in.Policy.SeverityPolicy.Sev2.Multiplier)
	if err != nil {
		return err
	}
	a.later("spike runs", func() error {
		defer res.Release()
		return a.spikeRunsFrom(res)
	})
	return nil
}

// spikeRunsFrom builds section 3 from spike_runs.sql's batches. It does
// not use the connection.
func (a *analysis) spikeRunsFrom(res *batches) error {
	a.w.SpikeRuns = make([]reports.SpikeRun, 0, res.rows)
	for _, rec := range res.recs {
		c := columns{query: "spike_runs", rec: rec}
		runID, ts, scenario := c.strings(c.named("run_id")), c.timestamps(c.named("timestamp")), c.strings(c.named("scenario_id"))
		credits, baseline := c.float64s(c.named("credits_total")), c.float64s(c.named("baseline"))
		mult, recMult := c.float64s(c.named("multiplier")), c.float64s(c.named("variance_multiplier"))
		sev, recSev := c.strings(c.named("recomputed_severity")), c.strings(c.named("severity"))
		recMis, recorded := c.strings(c.named("misconfig_likelihood")), c.stringLists(c.named("risk_flags"))
		retries := c.int64s(c.named("retry_count"))
		maxItems, idempotency := c.bools(c.named("has_max_items_config")), c.bools(c.named("has_idempotency_key"))
		batch, backfill := c.bools(c.named("is_batch_job")), c.bools(c.named("is_backfill"))
		status, caseID := c.strings(c.named("status")), c.strings(c.named("case_id"))
		link, lineNo := c.strings(c.named("artifacts_link")), c.int64s(c.named("line_no"))
		if c.err != nil {
			return c.err
		}
		for i := 0; i < int(c.rec.NumRows()); i++ {
			s := reports.SpikeRun{
				RunID:                      str(runID, i),
				Timestamp:                  formatTime(microsUTC(ts, i)),
				ScenarioID:                 str(scenario, i),
				CreditsTotal:               money(credits.Value(i)),
				Baseline:                   moneyPtr(nullFloat(baseline, i)),
				VarianceMultiplier:         ratioPtr(nullFloat(mult, i)),
				RecordedVarianceMultiplier: ratioPtr(nullFloat(recMult, i)),
				Severity:                   strPtr(nullString(sev, i)),
				RecordedSeverity:           strPtr(nullString(recSev, i)),
				RecordedMisconfig:          strPtr(nullString(recMis, i)),
				RiskFlags: ledger.Flags(stringList(recorded, i), ledger.FlagFields{
					RetryCount:        nullInt(retries, i),
					HasMaxItemsConfig: nullBool(maxItems, i),
					HasIdempotencyKey: nullBool(idempotency, i),
					IsBatchJob:        nullBool(batch, i),
					IsBackfill:        nullBool(backfill, i),
				}),
				Status:        nullString(status, i).String,
				CaseID:        strPtr(nullString(caseID, i)),
				ArtifactsLink: strPtr(nullString(link, i)),
				LineNo:        lineNo.Value(i),
			}
			score := a.in.Policy.MisconfigScore(s.RiskFlags)
			s.MisconfigScore = ratio(score)
			s.MisconfigLikelihood = a.in.Policy.Likelihood(score)
			a.w.SpikeRuns = append(a.w.SpikeRuns, s)
		}
	}
	n := min(a.in.Config.SpikeTopN, len(a.w.SpikeRuns))
	a.w.TopSpikeRuns = append([]reports.SpikeRun{}, a.w.SpikeRuns[:n]...)
	return nil
}
