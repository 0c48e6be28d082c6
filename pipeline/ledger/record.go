package ledger

import (
	"bytes"
	"fmt"
	"math"
	"math/bits"
	"strings"
	"time"
	"unicode/utf8"
)

// Record is one run as the store keeps it: every field of both spellings of
// docs/RULES.md, "Inputs" normalised to one name and one type. Optional fields are nil when
// the line did not carry them, so "absent" and "false"/0 stay distinct
// (has_max_items_config == false derives a risk flag; absent does not).
//
// Parse gives the strings of one Record one shared backing array, and its
// optional numbers and booleans one shared block: a caller that keeps a
// single field of many records for long should copy it (strings.Clone).
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

// Reject codes: the first word of every RejectError, stable for tests,
// fixtures and analysts filtering rejects_<date>.jsonl.
const (
	CodeInvalidJSON      = "invalid_json"
	CodeMissingField     = "missing_field"
	CodeWrongType        = "wrong_type"
	CodeInvalidTimestamp = "invalid_timestamp"
	CodeNegativeCredits  = "negative_credits"
	CodeNonFiniteCredits = "non_finite_credits"
	// CodeCreditsOutOfRange: a credit value above MaxCredits.
	CodeCreditsOutOfRange = "credits_out_of_range"
	// CodeConflictingFields: one field given twice (in two spellings, or
	// one spelling repeated) with different values. Which one a reader
	// takes depends on the reader — encoding/json the last, jq the first
	// of a spelling — so the line is evidence of nothing. Identical values
	// are fine.
	CodeConflictingFields = "conflicting_fields"
	// CodeInvalidUTF8: a run id, scenario id or case id holding bytes
	// that are not UTF-8 (or an unpaired surrogate escape). Decoding them
	// would replace them with U+FFFD and merge distinct ids into one.
	CodeInvalidUTF8 = "invalid_utf8"
	// CodeNULInText: a text value holding U+0000 (written \u0000). The
	// engine's side tables (the values seen per field, the review's
	// baselines and cases) end such text at that character, so distinct
	// values would merge there: "Success\u0000x" counted as "Success".
	CodeNULInText = "nul_in_text"
	// CodeLineTooLong: a line longer than a record may be
	// (inputs.MaxLineBytes). It is hashed as it is read, never held
	// whole, and not parsed.
	CodeLineTooLong = "line_too_long"
)

// MaxCredits is the largest credit value a run may record. No run spends
// a thousand trillion credits: a larger value is a unit or encoding error,
// and the review sums credits exactly in DECIMAL(38, 6), whose 32 digits
// before the point hold a hundred million million such runs but would
// overflow on one run of 1e32 (the weekly job then failed on an engine
// error naming no ledger line).
const MaxCredits = 1e15

// idFields are the identifiers CodeInvalidUTF8 guards.
var idFields = [...]field{fRunID, fScenarioID, fScenarioName, fNotionCaseID}

// conflicting is the reject for the fields in mask; it names the first by
// field order, so that both decoders give the same detail.
func conflicting(mask uint32) *RejectError {
	f := field(bits.TrailingZeros32(mask))
	return reject(CodeConflictingFields, "%s given more than once with different values", fieldNames[f])
}

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
//
// A hand-written decoder (parseFast) handles the lines it fully understands;
// anything else — malformed JSON, a value of the wrong type, keys with
// escapes or non-ASCII letters, deep nesting — goes to encoding/json
// (parseSlow), so both always agree (FuzzParseAgrees checks it).
func Parse(line []byte) (r Record, err error) {
	trimmed := line
	if len(line) == 0 || line[0] != '{' || line[len(line)-1] != '}' {
		trimmed = bytes.TrimSpace(line) // braces at both ends: nothing to trim
	}
	if len(trimmed) == 0 {
		return Record{}, reject(CodeInvalidJSON, "empty line")
	}
	if trimmed[0] != '{' {
		return Record{}, reject(CodeInvalidJSON, "not a JSON object")
	}
	// Decoding straight into the result saves copying the Record.
	if ferr, ok := parseFast(trimmed, &r); ok {
		if ferr != nil {
			return Record{}, ferr
		}
		return r, nil
	}
	return parseSlow(trimmed)
}

// normalise applies docs/RULES.md, "Inputs" to a decoded line, filling r: required
// fields, the scenario id/name fallback, UTC timestamps and the credit
// checks, in this order (the order decides which code a line with several
// faults gets). r must be the zero Record; it is garbage when normalise
// returns an error.
func normalise(w *wire, r *Record) error {
	r.JobType = w.str1(fJobType)
	r.Status = w.str1(fStatus)
	r.Model = w.str1(fModel)
	r.ArtifactsLink = w.str1(fArtifactsLink)
	r.Severity = w.str1(fSeverity)
	r.RiskSummary = w.str1(fRiskSummary)
	r.MisconfigLikelihood = w.str1(fMisconfigLikelihood)
	r.PromptVersion = w.str1(fPromptVersion)
	r.DeploymentTimestamp = w.str1(fDeploymentTimestamp)
	r.NotionCaseID = w.str1(fNotionCaseID)
	r.Owner = w.str1(fOwner)
	r.RunID = trimSpace(w.str1(fRunID))
	if r.RunID == "" {
		return reject(CodeMissingField, "run_id")
	}
	if w.badUTF8&(1<<fRunID) != 0 {
		return reject(CodeInvalidUTF8, "run_id %q is not valid UTF-8", truncate(r.RunID, 64))
	}
	rawTS := w.str1(fTimestamp)
	ts := trimSpace(rawTS)
	if ts == "" {
		return reject(CodeMissingField, "timestamp")
	}
	t, ok := parseTimestamp(ts)
	if !ok {
		return reject(CodeInvalidTimestamp, "timestamp %q is not RFC 3339", truncate(rawTS, 64))
	}
	r.Timestamp = t
	r.ScenarioID = trimSpace(w.str1(fScenarioID))
	r.ScenarioName = trimSpace(w.str1(fScenarioName))
	if r.ScenarioID == "" {
		r.ScenarioID = r.ScenarioName
	}
	if r.ScenarioID == "" {
		return reject(CodeMissingField, "scenario_id (and no scenario_name)")
	}
	idFrom := fScenarioID
	if trimSpace(w.str1(fScenarioID)) == "" {
		idFrom = fScenarioName
	}
	if w.badUTF8&(1<<idFrom) != 0 {
		return reject(CodeInvalidUTF8, "%s %q is not valid UTF-8", fieldNames[idFrom], truncate(r.ScenarioID, 64))
	}
	if w.badUTF8&(1<<fNotionCaseID) != 0 {
		return reject(CodeInvalidUTF8, "notion_case_id %q is not valid UTF-8", truncate(r.NotionCaseID, 64))
	}
	if w.nulText != 0 {
		return reject(CodeNULInText, "%s holds U+0000, which the store cannot keep apart from the text before it", fieldNames[bits.TrailingZeros32(w.nulText)])
	}
	if r.ScenarioName == "" {
		r.ScenarioName = r.ScenarioID
	}
	if !w.has(fCreditsTotal) {
		return reject(CodeMissingField, "credits_total")
	}
	for _, f := range [...]field{fCreditsTotal, fCreditsIn, fCreditsOut} {
		if !w.has(f) {
			continue
		}
		v := w.num1(f)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return reject(CodeNonFiniteCredits, "%s is not a finite number", fieldNames[f])
		}
		if v < 0 {
			return reject(CodeNegativeCredits, "%s is %g", fieldNames[f], v)
		}
		if v > MaxCredits {
			return reject(CodeCreditsOutOfRange, "%s is %g, above the %g credits a run can spend", fieldNames[f], v, MaxCredits)
		}
	}
	r.CreditsTotal = w.num1(fCreditsTotal)
	if w.has(fRiskFlags) {
		if w.flagNull {
			return reject(CodeWrongType, "risk_flags: null element")
		}
		r.RiskFlags = w.flags
		if r.RiskFlags == nil {
			r.RiskFlags = []string{}
		}
	}
	if w.set&optionalMask != 0 {
		w.setOptionals(r)
	}
	return nil
}

// setOptionals points r's optional numbers and booleans at one shared
// block, leaving absent ones nil.
func (w *wire) setOptionals(r *Record) {
	o := &optionals{num: w.num, ints: w.ints, bools: w.bools}
	floatPtr := func(f field) *float64 {
		if !w.has(f) {
			return nil
		}
		return &o.num[f-firstFloat]
	}
	intPtr := func(f field) *int64 {
		if !w.has(f) {
			return nil
		}
		return &o.ints[f-firstInt]
	}
	boolPtr := func(f field) *bool {
		if !w.has(f) {
			return nil
		}
		return &o.bools[f-firstBool]
	}
	r.CreditsIn = floatPtr(fCreditsIn)
	r.CreditsOut = floatPtr(fCreditsOut)
	r.BaselineExpectedCredits = floatPtr(fBaselineExpectedCredits)
	r.VarianceMultiplier = floatPtr(fVarianceMultiplier)
	r.InputTokens = intPtr(fInputTokens)
	r.OutputTokens = intPtr(fOutputTokens)
	r.RetryCount = intPtr(fRetryCount)
	r.InputItemCount = intPtr(fInputItemCount)
	r.HasMaxItemsConfig = boolPtr(fHasMaxItemsConfig)
	r.HasIdempotencyKey = boolPtr(fHasIdempotencyKey)
	r.IsBatchJob = boolPtr(fIsBatchJob)
	r.IsBackfill = boolPtr(fIsBackfill)
}

// trimSpace is strings.TrimSpace, answered without a call for the usual
// value that starts and ends with a printable ASCII byte (Unicode white
// space is either ASCII up to ' ' or ends in a byte from 0x80 up).
func trimSpace(s string) string {
	if len(s) > 0 && s[0] > ' ' && s[0] < utf8.RuneSelf && s[len(s)-1] > ' ' && s[len(s)-1] < utf8.RuneSelf {
		return s
	}
	return strings.TrimSpace(s)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
