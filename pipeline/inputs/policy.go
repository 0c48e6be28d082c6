package inputs

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/ledgerlens/ledgerlens/pipeline/ledger"
)

// Severities, most severe first (docs/RULES.md, "Inputs").
const (
	SEV0 = "SEV0"
	SEV1 = "SEV1"
	SEV2 = "SEV2"
	SEV3 = "SEV3"
	SEV4 = "SEV4"
)

// Misconfig likelihoods and the score thresholds that give them (docs/RULES.md, "Classification").
const (
	LikelihoodHigh   = "High"
	LikelihoodMedium = "Medium"
	LikelihoodLow    = "Low"

	HighScore   = 6
	MediumScore = 3
)

// Policy is config/sintraprime-policy.json: the severity multipliers, the
// risk-flag weights behind the misconfig score and the review windows. Field
// tags are the file's keys, so Marshal writes the runbook's shape.
type Policy struct {
	Version        string                 `json:"version"`
	SeverityPolicy SeverityPolicy         `json:"severity_policy"`
	RiskFlags      map[string]FlagWeights `json:"risk_flags"`
	ReviewWindows  ReviewWindows          `json:"review_windows"`
}

// SeverityPolicy holds one level per severity. A run's multiplier is
// compared with Sev0 … Sev3 in turn; Sev4 is what is left.
type SeverityPolicy struct {
	Sev0 SeverityLevel `json:"sev0"`
	Sev1 SeverityLevel `json:"sev1"`
	Sev2 SeverityLevel `json:"sev2"`
	Sev3 SeverityLevel `json:"sev3"`
	Sev4 SeverityLevel `json:"sev4"`
}

// SeverityLevel is the threshold and response of one severity.
type SeverityLevel struct {
	// Multiplier is the variance multiplier (credits / baseline) from which
	// a run has this severity.
	Multiplier float64 `json:"multiplier"`
	// PIIOrRegulatory, on sev0 only, requires a pii_exposure or
	// regulatory_data flag for SEV0. An absent key means true (docs/RULES.md, "Classification");
	// only an explicit false lets a multiplier alone make a run SEV0.
	PIIOrRegulatory bool   `json:"pii_or_regulatory,omitempty"`
	Action          string `json:"action,omitempty"`
}

// FlagWeights are a risk flag's contributions to the misconfig score: the
// misconfig weight adds, the legit weight subtracts.
type FlagWeights struct {
	Misconfig float64 `json:"misconfig_weight"`
	Legit     float64 `json:"legit_weight"`
}

// ReviewWindows are the periods and statuses the review works with.
type ReviewWindows struct {
	CreditReviewDays   int      `json:"credit_review_days"`
	BaselineWindowDays int      `json:"baseline_window_days"`
	HealthyRunStatuses []string `json:"healthy_run_statuses"`
}

// DefaultPolicy returns the built-in policy, identical to docs/RULES.md, "Classification" and the
// runbook's file; it applies when config/sintraprime-policy.json is absent.
// Each call returns a fresh value, so callers may modify it.
func DefaultPolicy() Policy {
	return Policy{
		Version: "1.0",
		SeverityPolicy: SeverityPolicy{
			Sev0: SeverityLevel{Multiplier: 10, PIIOrRegulatory: true, Action: "quarantine"},
			Sev1: SeverityLevel{Multiplier: 5, Action: "case_and_alert"},
			Sev2: SeverityLevel{Multiplier: 2, Action: "weekly_review"},
			Sev3: SeverityLevel{Multiplier: 1.5, Action: "log"},
			Sev4: SeverityLevel{Multiplier: 0, Action: "log"},
		},
		RiskFlags: map[string]FlagWeights{
			"retry_loop":           {Misconfig: 3},
			"unbounded_iterator":   {Misconfig: 4},
			"missing_idempotency":  {Misconfig: 4},
			"sudden_prompt_growth": {Misconfig: 2},
			"batch_job":            {Legit: 3},
			"backfill_mode":        {Legit: 4},
		},
		ReviewWindows: ReviewWindows{
			CreditReviewDays:   7,
			BaselineWindowDays: 30,
			HealthyRunStatuses: []string{"Success"},
		},
	}
}

// LoadPolicy reads and validates the policy file at path. When the file does
// not exist it returns DefaultPolicy and a FileInfo that is not Present, so
// the report can say the built-in default was used. An invalid policy is
// refused: the job must not classify runs with thresholds nobody meant.
func LoadPolicy(path string) (Policy, FileInfo, error) {
	data, info, ok, err := readInput(path)
	if err != nil {
		return Policy{}, info, fmt.Errorf("load policy: %w", err)
	}
	if !ok {
		return DefaultPolicy(), info, nil
	}
	p, err := ParsePolicy(path, data)
	return p, info, err
}

// ParsePolicy parses and validates policy file contents; path is used in
// error messages only. Every problem found is reported (joined), each as an
// *Error naming the field. Unknown keys are allowed, since later versions of
// the file may add some, but not one that looks like a misspelling of a key
// the file lacks (object.misspelt): a misspelt pii_or_regulatory would leave
// SEV0 guarded by a rule the file meant to waive, a misspelt flag its weight
// at 0.
func ParsePolicy(path string, data []byte) (Policy, error) {
	doc, err := parseDocument(path, data)
	if err != nil {
		return Policy{}, err
	}
	var errs []error
	fail := func(err error) { errs = append(errs, locate(err, path, 0)) }

	var p Policy
	for _, err := range doc.misspelt("version", "severity_policy", "risk_flags", "review_windows") {
		fail(err)
	}
	for _, err := range doc.misplaced(map[string]string{
		"sev0": "severity_policy", "sev1": "severity_policy", "sev2": "severity_policy", "sev3": "severity_policy", "sev4": "severity_policy",
		"pii_or_regulatory": "severity_policy.sev0", "multiplier": "each severity_policy level",
		"credit_review_days": "review_windows", "baseline_window_days": "review_windows", "healthy_run_statuses": "review_windows",
	}) {
		fail(err)
	}
	if v, _, err := doc.str("version"); err != nil {
		fail(err)
	} else {
		p.Version = v
	}

	sp, ok, err := doc.obj("severity_policy")
	switch {
	case err != nil:
		fail(err)
	case !ok:
		fail(&fieldError{field: "severity_policy", msg: "missing"})
	default:
		levels := []*SeverityLevel{&p.SeverityPolicy.Sev0, &p.SeverityPolicy.Sev1,
			&p.SeverityPolicy.Sev2, &p.SeverityPolicy.Sev3, &p.SeverityPolicy.Sev4}
		present := make([]bool, len(levels))
		for _, err := range sp.misspelt("sev0", "sev1", "sev2", "sev3", "sev4") {
			fail(err)
		}
		for _, err := range sp.misplaced(map[string]string{"pii_or_regulatory": "severity_policy.sev0", "multiplier": "each level (sev0 … sev4)"}) {
			fail(err)
		}
		for i, lv := range levels {
			key := fmt.Sprintf("sev%d", i)
			if lo, ok, _ := sp.obj(key); ok {
				// pii_or_regulatory means something on sev0 only.
				known := []string{"multiplier", "action"}
				if i == 0 {
					known = append(known, "pii_or_regulatory")
				}
				for _, err := range lo.misspelt(known...) {
					fail(err)
				}
			}
			present[i], err = parseLevel(sp, key, i, lv)
			if err != nil {
				fail(err)
			}
		}
		// Thresholds must fall strictly from sev0 to sev4; a tie would make
		// the lower severity unreachable. Only compare levels that parsed.
		for i := 1; i < len(levels); i++ {
			if !present[i] || !present[i-1] {
				continue
			}
			if levels[i].Multiplier >= levels[i-1].Multiplier {
				fail(&fieldError{field: fmt.Sprintf("severity_policy.sev%d.multiplier", i),
					msg: fmt.Sprintf("must be less than sev%d (%v), got %v", i-1, levels[i-1].Multiplier, levels[i].Multiplier)})
			}
		}
	}

	p.RiskFlags = map[string]FlagWeights{}
	if rf, ok, err := doc.obj("risk_flags"); err != nil {
		fail(err)
	} else if ok {
		rf = rf.withDataKeys()
		for _, err := range rf.misspelt(ledger.FlagNames()...) {
			fail(err)
		}
		for _, flag := range rf.keys() {
			fo, ok, err := rf.obj(flag)
			if err != nil {
				fail(err)
				continue
			}
			if !ok {
				continue // "flag": null weighs nothing
			}
			for _, err := range fo.misspelt("misconfig_weight", "legit_weight") {
				fail(err)
			}
			var w FlagWeights
			for _, f := range []struct {
				key string
				dst *float64
			}{{"misconfig_weight", &w.Misconfig}, {"legit_weight", &w.Legit}} {
				v, _, err := fo.num(f.key)
				if err != nil {
					fail(err)
					continue
				}
				if v < 0 {
					fail(&fieldError{field: fo.at(f.key), msg: fmt.Sprintf("must be ≥ 0, got %v", v)})
					continue
				}
				*f.dst = v
			}
			p.RiskFlags[flag] = w
		}
	}

	rw, ok, err := doc.obj("review_windows")
	switch {
	case err != nil:
		fail(err)
	case !ok:
		fail(&fieldError{field: "review_windows", msg: "missing"})
	default:
		for _, err := range rw.misspelt("credit_review_days", "baseline_window_days", "healthy_run_statuses") {
			fail(err)
		}
		for _, f := range []struct {
			key string
			dst *int
		}{{"credit_review_days", &p.ReviewWindows.CreditReviewDays}, {"baseline_window_days", &p.ReviewWindows.BaselineWindowDays}} {
			v, ok, err := rw.integer(f.key)
			switch {
			case err != nil:
				fail(err)
			case !ok:
				fail(&fieldError{field: rw.at(f.key), msg: "missing"})
			case v <= 0 || v > 3660:
				fail(&fieldError{field: rw.at(f.key), msg: fmt.Sprintf("must be between 1 and 3660 days, got %d", v)})
			default:
				*f.dst = int(v)
			}
		}
		statuses, err := stringList(rw, "healthy_run_statuses")
		switch {
		case err != nil:
			fail(err)
		case len(statuses) == 0:
			fail(&fieldError{field: rw.at("healthy_run_statuses"), msg: "must name at least one status"})
		default:
			p.ReviewWindows.HealthyRunStatuses = statuses
		}
	}
	if len(errs) > 0 {
		return Policy{}, errors.Join(errs...)
	}
	return p, nil
}

// parseLevel reads severity_policy.<key> into lv. It reports whether the
// multiplier is usable for the ordering check.
func parseLevel(sp object, key string, index int, lv *SeverityLevel) (bool, error) {
	const last = 4 // sev4 may be absent: its threshold is 0
	lo, ok, err := sp.obj(key)
	if err != nil {
		return false, err
	}
	if !ok {
		if index == last {
			return true, nil
		}
		return false, &fieldError{field: sp.at(key) + ".multiplier", msg: "missing"}
	}
	m, ok, err := lo.num("multiplier")
	switch {
	case err != nil:
		return false, err
	case !ok && index == last:
		m = 0
	case !ok:
		return false, &fieldError{field: lo.at("multiplier"), msg: "missing"}
	case index == last && m < 0:
		return false, &fieldError{field: lo.at("multiplier"), msg: fmt.Sprintf("must be ≥ 0, got %v", m)}
	case index < last && m <= 0:
		return false, &fieldError{field: lo.at("multiplier"), msg: fmt.Sprintf("must be > 0, got %v", m)}
	}
	lv.Multiplier = m
	if action, _, err := lo.str("action"); err != nil {
		return false, err
	} else {
		lv.Action = action
	}
	if index == 0 {
		pii, ok, err := lo.boolean("pii_or_regulatory")
		if err != nil {
			return false, err
		}
		lv.PIIOrRegulatory = pii || !ok
	}
	// pii_or_regulatory on the other levels means nothing and is ignored,
	// like any other key this version does not know.
	return true, nil
}

// stringList reads an array of non-empty strings.
func stringList(o object, key string) ([]string, error) {
	items, _, err := o.arr(key)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(items))
	for i, raw := range items {
		var s string
		if kindOf(raw) != "string" || json.Unmarshal(raw, &s) != nil || s == "" {
			return nil, &fieldError{field: fmt.Sprintf("%s[%d]", o.at(key), i), msg: "want a non-empty string, got " + kindOf(raw)}
		}
		out = append(out, s)
	}
	return out, nil
}

// MisconfigScore is Σ misconfig_weight − Σ legit_weight over flags; a flag
// the policy does not list weighs 0, and a flag listed twice counts once.
func (p Policy) MisconfigScore(flags []string) float64 {
	score := 0.0
	for i, f := range flags {
		if slices.Contains(flags[:i], f) {
			continue
		}
		w := p.RiskFlags[f]
		score += w.Misconfig - w.Legit
	}
	return score
}

// Likelihood turns a misconfig score into High (≥ 6), Medium (≥ 3) or Low.
func (p Policy) Likelihood(score float64) string {
	switch {
	case score >= HighScore:
		return LikelihoodHigh
	case score >= MediumScore:
		return LikelihoodMedium
	default:
		return LikelihoodLow
	}
}

// Marshal renders p in the policy file's shape: 2-space indent, keys in a
// fixed order (risk flags sorted), trailing newline; ParsePolicy of the
// result gives p back. No job writes a policy: tests use it to write the
// policy files they read (the fixtures write theirs themselves). It fails
// only for values JSON cannot hold (NaN or infinite weights).
func (p Policy) Marshal() ([]byte, error) {
	// sev0 always writes pii_or_regulatory, since absence means true.
	type sev0Level struct {
		Multiplier      float64 `json:"multiplier"`
		PIIOrRegulatory bool    `json:"pii_or_regulatory"`
		Action          string  `json:"action,omitempty"`
	}
	type severityPolicy struct {
		Sev0 sev0Level     `json:"sev0"`
		Sev1 SeverityLevel `json:"sev1"`
		Sev2 SeverityLevel `json:"sev2"`
		Sev3 SeverityLevel `json:"sev3"`
		Sev4 SeverityLevel `json:"sev4"`
	}
	sp := p.SeverityPolicy
	out := struct {
		Version        string                 `json:"version"`
		SeverityPolicy severityPolicy         `json:"severity_policy"`
		RiskFlags      map[string]FlagWeights `json:"risk_flags"`
		ReviewWindows  ReviewWindows          `json:"review_windows"`
	}{
		Version: p.Version,
		SeverityPolicy: severityPolicy{
			Sev0: sev0Level(sp.Sev0),
			Sev1: noPII(sp.Sev1), Sev2: noPII(sp.Sev2), Sev3: noPII(sp.Sev3), Sev4: noPII(sp.Sev4),
		},
		RiskFlags:     p.RiskFlags,
		ReviewWindows: p.ReviewWindows,
	}
	if out.RiskFlags == nil {
		out.RiskFlags = map[string]FlagWeights{}
	}
	b, err := marshalIndent(out)
	if err != nil {
		return nil, fmt.Errorf("marshal policy: %w", err)
	}
	return b, nil
}

func noPII(l SeverityLevel) SeverityLevel {
	l.PIIOrRegulatory = false
	return l
}
