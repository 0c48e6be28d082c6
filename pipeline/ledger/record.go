package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Record is one run as the store keeps it: every field of both spellings of
// SPEC §2.1 normalised to one name and one type. Optional fields are nil when
// the line did not carry them, so "absent" and "false"/0 stay distinct
// (has_max_items_config == false derives a risk flag; absent does not).
type Record struct {
	RunID                   string
	Timestamp               time.Time // UTC
	ScenarioID              string    // Scenario_ID, else Scenario_Name
	ScenarioName            string    // Scenario_Name, else the id
	JobType                 string
	Status                  string
	CreditsTotal            float64
	CreditsIn               *float64
	CreditsOut              *float64
	Model                   string
	InputTokens             *int64
	OutputTokens            *int64
	ArtifactsLink           string
	Severity                string
	RiskFlags               []string
	RiskSummary             string
	MisconfigLikelihood     string
	BaselineExpectedCredits *float64
	VarianceMultiplier      *float64
	RetryCount              *int64
	HasMaxItemsConfig       *bool
	HasIdempotencyKey       *bool
	PromptVersion           string
	DeploymentTimestamp     string // kept as written: it is informational
	IsBatchJob              *bool
	IsBackfill              *bool
	InputItemCount          *int64
	NotionCaseID            string
	Owner                   string
}

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

// Reject codes: the first word of every RejectError, stable for tests,
// fixtures and analysts filtering rejects_<date>.jsonl.
const (
	CodeInvalidJSON      = "invalid_json"
	CodeMissingField     = "missing_field"
	CodeWrongType        = "wrong_type"
	CodeInvalidTimestamp = "invalid_timestamp"
	CodeNegativeCredits  = "negative_credits"
	CodeNonFiniteCredits = "non_finite_credits"
)

// RejectError says why a ledger line cannot be loaded.
type RejectError struct {
	Code   string
	Detail string
}

func (e *RejectError) Error() string { return e.Code + ": " + e.Detail }

func reject(code, format string, args ...any) *RejectError {
	return &RejectError{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// Parse decodes one ledger line (without its newline) into a Record. Any
// failure is a *RejectError; Parse never panics on any input.
func Parse(line []byte) (Record, error) {
	trimmed := bytes.TrimSpace(line)
	if len(trimmed) == 0 {
		return Record{}, reject(CodeInvalidJSON, "empty line")
	}
	if trimmed[0] != '{' {
		return Record{}, reject(CodeInvalidJSON, "not a JSON object")
	}
	var w wireRecord
	if err := json.Unmarshal(trimmed, &w); err != nil {
		return Record{}, classifyDecodeError(err)
	}
	return w.normalise()
}

func classifyDecodeError(err error) *RejectError {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field := strings.ToLower(typeErr.Field)
		// A number too large for float64 (1e999) is reported as a type error;
		// for credits it is a non-finite value, which the spec names apart.
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

func (w *wireRecord) normalise() (Record, error) {
	r := Record{
		JobType:                 deref(w.JobType),
		Status:                  deref(w.Status),
		CreditsIn:               w.CreditsIn,
		CreditsOut:              w.CreditsOut,
		Model:                   deref(w.Model),
		InputTokens:             w.InputTokens,
		OutputTokens:            w.OutputTokens,
		ArtifactsLink:           deref(w.ArtifactsLink),
		Severity:                deref(w.Severity),
		RiskSummary:             deref(w.RiskSummary),
		MisconfigLikelihood:     deref(w.MisconfigLikelihood),
		BaselineExpectedCredits: w.BaselineExpectedCredits,
		VarianceMultiplier:      w.VarianceMultiplier,
		RetryCount:              w.RetryCount,
		HasMaxItemsConfig:       w.HasMaxItemsConfig,
		HasIdempotencyKey:       w.HasIdempotencyKey,
		PromptVersion:           deref(w.PromptVersion),
		DeploymentTimestamp:     deref(w.DeploymentTimestamp),
		IsBatchJob:              w.IsBatchJob,
		IsBackfill:              w.IsBackfill,
		InputItemCount:          w.InputItemCount,
		NotionCaseID:            deref(w.NotionCaseID),
		Owner:                   deref(w.Owner),
	}
	r.RunID = strings.TrimSpace(deref(w.RunID))
	if r.RunID == "" {
		return Record{}, reject(CodeMissingField, "run_id")
	}
	if w.Timestamp == nil || strings.TrimSpace(*w.Timestamp) == "" {
		return Record{}, reject(CodeMissingField, "timestamp")
	}
	ts, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(*w.Timestamp))
	if err != nil {
		return Record{}, reject(CodeInvalidTimestamp, "timestamp %q is not RFC 3339", truncate(*w.Timestamp, 64))
	}
	r.Timestamp = ts.UTC()
	r.ScenarioID = strings.TrimSpace(deref(w.ScenarioID))
	r.ScenarioName = strings.TrimSpace(deref(w.ScenarioName))
	if r.ScenarioID == "" {
		r.ScenarioID = r.ScenarioName
	}
	if r.ScenarioID == "" {
		return Record{}, reject(CodeMissingField, "scenario_id (and no scenario_name)")
	}
	if r.ScenarioName == "" {
		r.ScenarioName = r.ScenarioID
	}
	if w.CreditsTotal == nil {
		return Record{}, reject(CodeMissingField, "credits_total")
	}
	for _, c := range []struct {
		name string
		v    *float64
	}{{"credits_total", w.CreditsTotal}, {"credits_in", w.CreditsIn}, {"credits_out", w.CreditsOut}} {
		if c.v == nil {
			continue
		}
		if math.IsNaN(*c.v) || math.IsInf(*c.v, 0) {
			return Record{}, reject(CodeNonFiniteCredits, "%s is not a finite number", c.name)
		}
		if *c.v < 0 {
			return Record{}, reject(CodeNegativeCredits, "%s is %g", c.name, *c.v)
		}
	}
	r.CreditsTotal = *w.CreditsTotal
	if w.RiskFlags != nil {
		r.RiskFlags = make([]string, 0, len(w.RiskFlags))
		for _, f := range w.RiskFlags {
			if f == nil {
				return Record{}, reject(CodeWrongType, "risk_flags: null element")
			}
			r.RiskFlags = append(r.RiskFlags, *f)
		}
	}
	return r, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
