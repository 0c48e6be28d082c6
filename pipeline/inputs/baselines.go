package inputs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Baseline is one scenario's expected credits per run, as kept in
// config/credit-baselines.json. Extra holds the keys this version does not
// know, verbatim, so that rewriting the file never drops anything.
type Baseline struct {
	ScenarioID    string
	MedianCredits float64
	CalculatedAt  string // as written in the file (RFC 3339 by convention)
	SampleSize    int64
	LastUpdated   string // as written in the file
	Extra         map[string]json.RawMessage
}

// Baselines is the whole baselines file. Entries are kept sorted by
// ScenarioID and unique; use Upsert to change them. Extra holds unknown
// top-level keys, verbatim.
type Baselines struct {
	Version   string
	UpdatedAt string
	Entries   []Baseline
	Extra     map[string]json.RawMessage
}

// baselineFileKey reports whether k is a known top-level key of the
// baselines file.
func baselineFileKey(k string) bool {
	switch k {
	case "version", "updated_at", "baselines":
		return true
	}
	return false
}

// baselineEntryKey reports whether k is a known key of a baseline entry.
func baselineEntryKey(k string) bool {
	switch k {
	case "scenario_id", "median_credits", "calculated_at", "sample_size", "last_updated":
		return true
	}
	return false
}

// LoadBaselines reads and validates the baselines file at path. A missing
// file is an empty set (every scenario then has no baseline and gets a
// missing_baseline finding) with a FileInfo that is not Present.
func LoadBaselines(path string) (*Baselines, FileInfo, error) {
	data, info, ok, err := readInput(path)
	if err != nil {
		return nil, info, fmt.Errorf("load baselines: %w", err)
	}
	if !ok {
		return &Baselines{Version: "1.0"}, info, nil
	}
	b, err := ParseBaselines(path, data)
	return b, info, err
}

// ParseBaselines parses and validates baselines file contents; path is used
// in error messages only. A negative or missing median_credits, an empty or
// duplicate scenario_id, or a value of the wrong type is refused with an
// *Error naming the entry (baselines[3].median_credits). All problems found
// are reported, joined.
func ParseBaselines(path string, data []byte) (*Baselines, error) {
	doc, err := parseDocument(path, data)
	if err != nil {
		return nil, err
	}
	var errs []error
	fail := func(err error) { errs = append(errs, locate(err, path, 0)) }

	b := &Baselines{Extra: extraFields(doc, baselineFileKey)}
	if v, _, err := doc.str("version"); err != nil {
		fail(err)
	} else {
		b.Version = v
	}
	if v, _, err := doc.str("updated_at"); err != nil {
		fail(err)
	} else {
		b.UpdatedAt = v
	}
	items, ok, err := doc.arr("baselines")
	switch {
	case err != nil:
		fail(err)
	case !ok:
		fail(&fieldError{field: "baselines", msg: "missing (want an array, possibly empty)"})
	}
	seen := map[string]int{}
	for i, raw := range items {
		at := fmt.Sprintf("baselines[%d]", i)
		eo, err := decodeObject(raw, at)
		if err != nil {
			fail(err)
			continue
		}
		e, err := parseBaseline(eo)
		if err != nil {
			fail(err)
			continue
		}
		if first, dup := seen[e.ScenarioID]; dup {
			fail(&fieldError{field: at + ".scenario_id", msg: fmt.Sprintf("duplicate of baselines[%d] (%q)", first, e.ScenarioID)})
			continue
		}
		seen[e.ScenarioID] = i
		b.Entries = append(b.Entries, e)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	b.sort()
	return b, nil
}

func parseBaseline(o object) (Baseline, error) {
	e := Baseline{Extra: extraFields(o, baselineEntryKey)}
	id, _, err := o.str("scenario_id")
	if err != nil {
		return e, err
	}
	if strings.TrimSpace(id) == "" {
		return e, &fieldError{field: o.at("scenario_id"), msg: "missing or empty"}
	}
	e.ScenarioID = id
	m, ok, err := o.num("median_credits")
	switch {
	case err != nil:
		return e, err
	case !ok:
		return e, &fieldError{field: o.at("median_credits"), msg: "missing"}
	case m < 0:
		return e, &fieldError{field: o.at("median_credits"), msg: fmt.Sprintf("must be ≥ 0, got %v", m)}
	case m > 0 && m < MinMedianCredits:
		// 5e-324 made a run's multiple of it infinite, and the weekly
		// job failed naming no file (an outside review).
		return e, &fieldError{field: o.at("median_credits"), msg: fmt.Sprintf("must be 0 or at least %g (credits are kept to six decimals), got %v", MinMedianCredits, m)}
	}
	e.MedianCredits = m
	if e.CalculatedAt, _, err = o.str("calculated_at"); err != nil {
		return e, err
	}
	if e.LastUpdated, _, err = o.str("last_updated"); err != nil {
		return e, err
	}
	n, _, err := o.integer("sample_size")
	switch {
	case err != nil:
		return e, err
	case n < 0:
		return e, &fieldError{field: o.at("sample_size"), msg: fmt.Sprintf("must be ≥ 0, got %d", n)}
	}
	e.SampleSize = n
	return e, nil
}

// extraFields returns o's keys outside known, with their raw values.
func extraFields(o object, known func(string) bool) map[string]json.RawMessage {
	var extra map[string]json.RawMessage
	for k, v := range o.fields {
		if known(k) {
			continue
		}
		if extra == nil {
			extra = map[string]json.RawMessage{}
		}
		extra[k] = v
	}
	return extra
}

// Get returns the baseline of scenarioID.
func (b *Baselines) Get(scenarioID string) (Baseline, bool) {
	i, ok := b.find(scenarioID)
	if !ok {
		return Baseline{}, false
	}
	return b.Entries[i], true
}

// Medians returns scenario id → median_credits for every entry, for callers
// that look baselines up once per run. A zero median is included; whether
// it counts as a baseline is the classifier's decision.
func (b *Baselines) Medians() map[string]float64 {
	m := make(map[string]float64, len(b.Entries))
	for _, e := range b.Entries {
		m[e.ScenarioID] = e.MedianCredits
	}
	return m
}

// MinMedianCredits is the smallest median_credits other than 0: credits
// are kept to six decimals, and a run's multiple of a smaller median may
// not be finite.
const MinMedianCredits = 1e-6

// Upsert adds e, or replaces the entry with the same scenario id. Unknown
// fields of the replaced entry are kept unless e.Extra sets the same key, so
// an approval that rewrites the median does not lose annotations others
// added. It refuses an empty scenario id, a negative or non-finite median
// and a negative sample size. UpdatedAt is left to the caller, which knows
// the approval time.
func (b *Baselines) Upsert(e Baseline) error {
	switch {
	case strings.TrimSpace(e.ScenarioID) == "":
		return errors.New("upsert baseline: empty scenario_id")
	case math.IsNaN(e.MedianCredits) || math.IsInf(e.MedianCredits, 0) || e.MedianCredits < 0 ||
		(e.MedianCredits > 0 && e.MedianCredits < MinMedianCredits):
		return fmt.Errorf("upsert baseline %s: median_credits must be finite and 0 or at least %g, got %v", e.ScenarioID, MinMedianCredits, e.MedianCredits)
	case e.SampleSize < 0:
		return fmt.Errorf("upsert baseline %s: sample_size must be ≥ 0, got %d", e.ScenarioID, e.SampleSize)
	}
	for k := range e.Extra {
		if baselineEntryKey(k) {
			return fmt.Errorf("upsert baseline %s: extra field %q shadows a known field", e.ScenarioID, k)
		}
		if !json.Valid(e.Extra[k]) {
			return fmt.Errorf("upsert baseline %s: extra field %q is not valid JSON", e.ScenarioID, k)
		}
	}
	i, ok := b.find(e.ScenarioID)
	if ok {
		merged := maps.Clone(b.Entries[i].Extra)
		if merged == nil && len(e.Extra) > 0 {
			merged = map[string]json.RawMessage{}
		}
		maps.Copy(merged, e.Extra)
		e.Extra = merged
		b.Entries[i] = e
		return nil
	}
	e.Extra = maps.Clone(e.Extra)
	b.Entries = slices.Insert(b.Entries, i, e)
	return nil
}

// Marshal renders the file: known keys first in the runbook's order
// (version, updated_at, baselines; within an entry scenario_id,
// median_credits, calculated_at, sample_size, last_updated), then unknown
// keys sorted, entries sorted by scenario_id, 2-space indent, trailing
// newline. Empty calculated_at / last_updated are left out rather than
// written as "". The runbook's
//
//	jq '.baselines[] | select(.scenario_id == "X")'
//
// keeps working on the result, and ParseBaselines gives back an equal value.
func (b *Baselines) Marshal() []byte {
	var c bytes.Buffer
	c.WriteByte('{')
	writeKey(&c, "version", true)
	writeString(&c, b.Version)
	writeKey(&c, "updated_at", false)
	writeString(&c, b.UpdatedAt)
	writeKey(&c, "baselines", false)
	c.WriteByte('[')
	entries := slices.Clone(b.Entries)
	slices.SortStableFunc(entries, func(x, y Baseline) int { return strings.Compare(x.ScenarioID, y.ScenarioID) })
	for i, e := range entries {
		if i > 0 {
			c.WriteByte(',')
		}
		c.WriteByte('{')
		writeKey(&c, "scenario_id", true)
		writeString(&c, e.ScenarioID)
		writeKey(&c, "median_credits", false)
		writeNumber(&c, e.MedianCredits)
		if e.CalculatedAt != "" {
			writeKey(&c, "calculated_at", false)
			writeString(&c, e.CalculatedAt)
		}
		writeKey(&c, "sample_size", false)
		c.WriteString(strconv.FormatInt(e.SampleSize, 10))
		if e.LastUpdated != "" {
			writeKey(&c, "last_updated", false)
			writeString(&c, e.LastUpdated)
		}
		writeExtra(&c, e.Extra, baselineEntryKey)
		c.WriteByte('}')
	}
	c.WriteByte(']')
	writeExtra(&c, b.Extra, baselineFileKey)
	c.WriteByte('}')

	var out bytes.Buffer
	if err := json.Indent(&out, c.Bytes(), "", "  "); err != nil {
		// Unreachable: every piece above is valid JSON (extras were
		// validated on the way in). Fall back to the compact form rather
		// than lose the file.
		return append(c.Bytes(), '\n')
	}
	out.WriteByte('\n')
	return out.Bytes()
}

func (b *Baselines) find(id string) (int, bool) {
	return slices.BinarySearchFunc(b.Entries, id, func(e Baseline, id string) int { return strings.Compare(e.ScenarioID, id) })
}

func (b *Baselines) sort() {
	slices.SortStableFunc(b.Entries, func(x, y Baseline) int { return strings.Compare(x.ScenarioID, y.ScenarioID) })
}

func writeKey(c *bytes.Buffer, key string, first bool) {
	if !first {
		c.WriteByte(',')
	}
	writeString(c, key)
	c.WriteByte(':')
}

func writeString(c *bytes.Buffer, s string) {
	enc := json.NewEncoder(c)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	c.Truncate(c.Len() - 1)
}

// writeNumber writes f as encoding/json would; a non-finite value, which
// JSON cannot hold, is written as null so that the next load refuses it
// loudly instead of the file becoming unparsable.
func writeNumber(c *bytes.Buffer, f float64) {
	b, err := json.Marshal(f)
	if err != nil {
		c.WriteString("null")
		return
	}
	c.Write(b)
}

// writeExtra writes the unknown fields in sorted key order. A value that is
// not valid JSON (possible only by editing Extra directly, as Upsert checks)
// is left out rather than corrupting the file.
func writeExtra(c *bytes.Buffer, extra map[string]json.RawMessage, known func(string) bool) {
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		if known(k) || !json.Valid(extra[k]) {
			continue
		}
		writeKey(c, k, false)
		c.Write(extra[k])
	}
}
