package ledger

import (
	"encoding/json"
	"errors"
	"strings"
)

// wireRecord mirrors a ledger line. encoding/json matches object keys to
// these tags case-insensitively, which is exactly what lets one struct read
// both the runbook's PascalCase (`Run_ID`, `Credits_Total`) and the
// all-snake_case spelling (`run_id`, `credits_total`).
type wireRecord struct {
	RunID                   *string   `json:"run_id"`
	Timestamp               *string   `json:"timestamp"`
	ScenarioName            *string   `json:"scenario_name"`
	ScenarioID              *string   `json:"scenario_id"`
	JobType                 *string   `json:"job_type"`
	Status                  *string   `json:"status"`
	CreditsTotal            *float64  `json:"credits_total"`
	CreditsIn               *float64  `json:"credits_in"`
	CreditsOut              *float64  `json:"credits_out"`
	Model                   *string   `json:"model"`
	InputTokens             *int64    `json:"input_tokens"`
	OutputTokens            *int64    `json:"output_tokens"`
	ArtifactsLink           *string   `json:"artifacts_link"`
	Severity                *string   `json:"severity"`
	RiskFlags               []*string `json:"risk_flags"`
	RiskSummary             *string   `json:"risk_summary"`
	MisconfigLikelihood     *string   `json:"misconfig_likelihood"`
	BaselineExpectedCredits *float64  `json:"baseline_expected_credits"`
	VarianceMultiplier      *float64  `json:"variance_multiplier"`
	RetryCount              *int64    `json:"retry_count"`
	HasMaxItemsConfig       *bool     `json:"has_max_items_config"`
	HasIdempotencyKey       *bool     `json:"has_idempotency_key"`
	PromptVersion           *string   `json:"prompt_version"`
	DeploymentTimestamp     *string   `json:"deployment_timestamp"`
	IsBatchJob              *bool     `json:"is_batch_job"`
	IsBackfill              *bool     `json:"is_backfill"`
	InputItemCount          *int64    `json:"input_item_count"`
	NotionCaseID            *string   `json:"notion_case_id"`
	Owner                   *string   `json:"owner"`
}

// parseSlow decodes a trimmed line that starts with '{' with encoding/json.
// It is the reference semantics: parseFast must agree with it on every
// input it decides, and takes over every input it does not.
func parseSlow(trimmed []byte) (Record, error) {
	var w wireRecord
	if err := json.Unmarshal(trimmed, &w); err != nil {
		return Record{}, classifyDecodeError(err)
	}
	var r Record
	if err := normalise(w.wire(), &r); err != nil {
		return Record{}, err
	}
	return r, nil
}

// wire converts the decoded pointers into the form normalise reads.
func (w *wireRecord) wire() *wire {
	var v wire
	str := func(f field, p *string) {
		if p != nil {
			v.set |= 1 << f
			v.str[f-firstString] = *p
		}
	}
	num := func(f field, p *float64) {
		if p != nil {
			v.set |= 1 << f
			v.num[f-firstFloat] = *p
		}
	}
	integer := func(f field, p *int64) {
		if p != nil {
			v.set |= 1 << f
			v.ints[f-firstInt] = *p
		}
	}
	boolean := func(f field, p *bool) {
		if p != nil {
			v.set |= 1 << f
			v.bools[f-firstBool] = *p
		}
	}
	str(fRunID, w.RunID)
	str(fTimestamp, w.Timestamp)
	str(fScenarioName, w.ScenarioName)
	str(fScenarioID, w.ScenarioID)
	str(fJobType, w.JobType)
	str(fStatus, w.Status)
	str(fModel, w.Model)
	str(fArtifactsLink, w.ArtifactsLink)
	str(fSeverity, w.Severity)
	str(fRiskSummary, w.RiskSummary)
	str(fMisconfigLikelihood, w.MisconfigLikelihood)
	str(fPromptVersion, w.PromptVersion)
	str(fDeploymentTimestamp, w.DeploymentTimestamp)
	str(fNotionCaseID, w.NotionCaseID)
	str(fOwner, w.Owner)
	num(fCreditsTotal, w.CreditsTotal)
	num(fCreditsIn, w.CreditsIn)
	num(fCreditsOut, w.CreditsOut)
	num(fBaselineExpectedCredits, w.BaselineExpectedCredits)
	num(fVarianceMultiplier, w.VarianceMultiplier)
	integer(fInputTokens, w.InputTokens)
	integer(fOutputTokens, w.OutputTokens)
	integer(fRetryCount, w.RetryCount)
	integer(fInputItemCount, w.InputItemCount)
	boolean(fHasMaxItemsConfig, w.HasMaxItemsConfig)
	boolean(fHasIdempotencyKey, w.HasIdempotencyKey)
	boolean(fIsBatchJob, w.IsBatchJob)
	boolean(fIsBackfill, w.IsBackfill)
	if w.RiskFlags != nil {
		v.set |= 1 << fRiskFlags
		v.flags = make([]string, 0, len(w.RiskFlags))
		for _, f := range w.RiskFlags {
			if f == nil {
				v.flagNull = true
				continue
			}
			v.flags = append(v.flags, *f)
		}
	}
	return &v
}

func classifyDecodeError(err error) *RejectError {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field := strings.ToLower(typeErr.Field)
		// A number too large for float64 (1e999) is reported as a type error;
		// for credits it is a non-finite value, which docs/RULES.md, "Inputs", names apart.
		if strings.HasPrefix(typeErr.Value, "number") && strings.HasPrefix(field, "credits_") {
			return reject(CodeNonFiniteCredits, "%s is not a finite number", field)
		}
		return reject(CodeWrongType, "%s: expected %s, got %s", field, typeErr.Type, typeErr.Value)
	}
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		return reject(CodeInvalidJSON, "%v (at byte %d)", syntaxErr, syntaxErr.Offset)
	}
	return reject(CodeInvalidJSON, "%v", err)
}
