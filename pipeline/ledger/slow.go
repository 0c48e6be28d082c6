package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
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
	conflict, bad := scanKeys(trimmed)
	if conflict != 0 {
		return Record{}, conflicting(conflict)
	}
	v := w.wire()
	v.badUTF8 = bad
	v.nulText = nulFields(v)
	var r Record
	if err := normalise(v, &r); err != nil {
		return Record{}, err
	}
	return r, nil
}

// scanKeys walks the keys of a line encoding/json has accepted and returns
// the fields given more than once with different values (conflict) and
// the identifier fields whose raw value is not valid UTF-8 (bad). Keys map
// to fields as encoding/json maps them: by bytes.EqualFold with the tag.
func scanKeys(trimmed []byte) (conflict, bad uint32) {
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if _, err := dec.Token(); err != nil { // the opening brace
		return 0, 0
	}
	var seen uint32
	var last [numFields]json.RawMessage
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return conflict, bad
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return conflict, bad
		}
		f := fieldOfKey(key)
		if f == fUnknown {
			continue
		}
		if f < firstFloat && !validStringText(raw) {
			bad |= 1 << f
		}
		if seen&(1<<f) != 0 && !sameValue(f, last[f], raw) {
			conflict |= 1 << f
		}
		seen |= 1 << f
		last[f] = raw
	}
	var idMask uint32
	for _, f := range idFields {
		idMask |= 1 << f
	}
	return conflict, bad & idMask
}

// nulFields returns the text fields of w holding U+0000 (CodeNULInText).
func nulFields(w *wire) uint32 {
	var mask uint32
	for i, s := range w.str {
		if strings.IndexByte(s, 0) >= 0 {
			mask |= 1 << (firstString + field(i))
		}
	}
	for _, s := range w.flags {
		if strings.IndexByte(s, 0) >= 0 {
			mask |= 1 << fRiskFlags
		}
	}
	return mask
}

// fieldOfKey is the field encoding/json would store key's value in.
func fieldOfKey(key string) field {
	for f, tag := range fieldNames {
		if strings.EqualFold(key, tag) {
			return field(f)
		}
	}
	return fUnknown
}

// sameValue reports whether two raw values of field f decode to the same
// value (null included) as encoding/json decodes them into wireRecord.
func sameValue(f field, a, b json.RawMessage) bool {
	decode := func(raw json.RawMessage) any {
		var v any
		switch {
		case f < firstFloat:
			v = new(*string)
		case f < firstInt:
			v = new(*float64)
		case f < firstBool:
			v = new(*int64)
		case f < fRiskFlags:
			v = new(*bool)
		default:
			v = new([]*string)
		}
		if err := json.Unmarshal(raw, v); err != nil {
			return err.Error()
		}
		return v
	}
	return reflect.DeepEqual(decode(a), decode(b))
}

// validStringText reports whether the raw JSON text of a string value
// decodes without replacement: valid UTF-8 and no unpaired surrogate
// escape (encoding/json turns both into U+FFFD). Other raw values (null)
// are valid.
func validStringText(raw []byte) bool {
	if len(raw) == 0 || raw[0] != '"' {
		return true
	}
	_, fault := FirstTextFault(raw, false)
	return fault == TextOK
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
