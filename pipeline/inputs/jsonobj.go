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
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/agnivade/levenshtein"

	"github.com/ledgerlens/ledgerlens/pipeline/ledger"
)

// object is one JSON object being read field by field, so that every
// problem can be reported with the full path of the value (baselines[3].
// median_credits) rather than encoding/json's Go-type-centred messages.
//
// JSON null counts as absent everywhere: exporters write null for empty
// columns, and "missing" is what such a value means.
type object struct {
	path   string
	fields map[string]json.RawMessage
	// names maps a folded (lower-case) key to the spelling in the input,
	// for messages; nil when keys are not folded.
	names map[string]string
	// dataKeys marks an object whose keys are data (service names, risk
	// flags) rather than names this version reads: spellings that differ
	// only in case are distinct entries there.
	dataKeys bool
}

// withDataKeys returns o marked as a map whose keys are data.
func (o object) withDataKeys() object {
	o.dataKeys = true
	return o
}

// parseDocument decodes data, a whole JSON document that must be an object.
// Syntax errors are located by line and column.
func parseDocument(path string, data []byte) (object, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return object{}, &Error{Path: path, Msg: "empty file, want a JSON object"}
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		var se *json.SyntaxError
		if line, col, ok := JSONErrorPosition(data, err); ok && errors.As(err, &se) {
			return object{}, &Error{Path: path, Line: line, Msg: fmt.Sprintf("invalid JSON at column %d: %v", col, se)}
		}
		return object{}, &Error{Path: path, Msg: "want a JSON object at the top level, got " + kindOf(data)}
	}
	if m == nil {
		return object{}, &Error{Path: path, Msg: "want a JSON object at the top level, got null"}
	}
	if k, ok := repeatedKey(data); ok {
		return object{}, &Error{Path: path, Msg: fmt.Sprintf("field %q appears twice at the top level: which one is meant is ambiguous", k)}
	}
	if off, what := badText(data); what != "" {
		line, col := position(data, int64(off))
		return object{}, &Error{Path: path, Line: line, Msg: fmt.Sprintf("text at column %d %s", col, what)}
	}
	return object{fields: m}, nil
}

// badText finds the first string in data, JSON that encoding/json
// accepted, that would not be kept as written (ledger.FirstTextFault, the
// ledger decoder's own rule), and returns its offset and what is wrong: bytes that are not UTF-8 or an unpaired surrogate escape
// (decoded as U+FFFD, so CASE-\xff1 and CASE-\xfe1 became one case, the
// later line replacing the earlier), or U+0000 (at which the engine's
// tables cut text short, merging X and X\u0000old). The ledger rejects
// such lines (ledger.CodeInvalidUTF8, ledger.CodeNULInText); the files
// people keep by hand are refused, naming the line.
func badText(data []byte) (int, string) {
	off, fault := ledger.FirstTextFault(data, true)
	switch fault {
	case ledger.TextNotUTF8:
		return off, "holds bytes that are not UTF-8: decoded they would read as U+FFFD, the same as other such text, and distinct ids would merge"
	case ledger.TextUnpairedSurrogate:
		return off, "holds an unpaired surrogate escape: decoded it would read as U+FFFD, the same as other such text, and distinct ids would merge"
	case ledger.TextNUL:
		return off, "holds U+0000 (\\u0000), which the store cannot keep apart from the text before it"
	}
	return 0, ""
}

// repeatedKey returns a key that data, a JSON object, spells twice at its
// own level: encoding/json keeps the last and drops the other silently, so
// a policy or configuration holding both would apply whichever came last.
func repeatedKey(data []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return "", false
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return "", false
		}
		k, _ := t.(string)
		if seen[k] {
			return k, true
		}
		seen[k] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return "", false
		}
	}
	return "", false
}

// parseRecord decodes one JSON Lines record. With fold, keys are matched
// case-insensitively (Case_ID and case_id are the same field); a record that
// spells one field twice with different values is refused as ambiguous.
func parseRecord(line []byte, fold bool) (object, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(line, &m); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return object{}, &fieldError{msg: fmt.Sprintf("invalid JSON at column %d: %v", max(se.Offset, 1), se)}
		}
		return object{}, &fieldError{msg: "want a JSON object, got " + kindOf(line)}
	}
	if m == nil {
		return object{}, &fieldError{msg: "want a JSON object, got null"}
	}
	if k, ok := repeatedKey(line); ok {
		return object{}, &fieldError{field: k, msg: "appears twice in the same record"}
	}
	if off, what := badText(line); what != "" {
		return object{}, &fieldError{msg: fmt.Sprintf("text at column %d %s", off+1, what)}
	}
	if !fold {
		return object{fields: m}, nil
	}
	o := object{fields: make(map[string]json.RawMessage, len(m)), names: make(map[string]string, len(m))}
	// Visit keys in sorted order so that the spelling named in a message
	// does not depend on map iteration.
	keys := slices.Sorted(maps.Keys(m))
	for _, k := range keys {
		f := strings.ToLower(k)
		if prev, dup := o.fields[f]; dup {
			if !sameJSON(prev, m[k]) && !isNull(prev) && !isNull(m[k]) {
				return object{}, &fieldError{field: k, msg: fmt.Sprintf("conflicts with %s in the same record", o.names[f])}
			}
			if isNull(prev) {
				o.fields[f], o.names[f] = m[k], k
			}
			continue
		}
		o.fields[f], o.names[f] = m[k], k
	}
	return o, nil
}

// decodeObject reads raw as a nested object found at path.
func decodeObject(raw json.RawMessage, path string) (object, error) {
	if k := kindOf(raw); k != "object" {
		return object{}, &fieldError{field: path, msg: "want an object, got " + k}
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return object{}, &fieldError{field: path, msg: err.Error()}
	}
	if k, ok := repeatedKey(raw); ok {
		return object{}, &fieldError{field: path + "." + k, msg: "appears twice in the same object"}
	}
	return object{path: path, fields: m}, nil
}

// at returns the path of key inside o, in the spelling of the input.
func (o object) at(key string) string {
	name := key
	if n, ok := o.names[key]; ok {
		name = n
	}
	if o.path == "" {
		return name
	}
	return o.path + "." + name
}

// get returns the raw value of key, treating null as absent. Where keys are
// not folded, a key the input spells only in another case ("SEV0" for
// "sev0") is refused: unknown keys are otherwise passed over, so the value
// it holds would silently not apply, and beside the right spelling which of
// the two was meant is ambiguous.
func (o object) get(key string) (json.RawMessage, bool, error) {
	if o.names == nil && !o.dataKeys {
		for _, k := range o.keys() {
			if k != key && strings.EqualFold(k, key) {
				return nil, false, &fieldError{field: o.at(k), msg: fmt.Sprintf("is not a key this version reads: keys are case-sensitive, and this one is spelled %q", key)}
			}
		}
	}
	raw, ok := o.fields[key]
	if !ok || isNull(raw) {
		return nil, false, nil
	}
	return raw, true, nil
}

// keys returns the keys of o in sorted order.
func (o object) keys() []string { return slices.Sorted(maps.Keys(o.fields)) }

func (o object) str(key string) (string, bool, error) {
	raw, ok, err := o.get(key)
	if err != nil || !ok {
		return "", false, err
	}
	if k := kindOf(raw); k != "string" {
		return "", false, &fieldError{field: o.at(key), msg: "want a string, got " + k}
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, &fieldError{field: o.at(key), msg: err.Error()}
	}
	return s, true, nil
}

func (o object) num(key string) (float64, bool, error) {
	raw, ok, err := o.get(key)
	if err != nil || !ok {
		return 0, false, err
	}
	if k := kindOf(raw); k != "number" {
		return 0, false, &fieldError{field: o.at(key), msg: "want a number, got " + k}
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, false, &fieldError{field: o.at(key), msg: fmt.Sprintf("number %s is out of range", raw)}
	}
	return f, true, nil
}

// integer reads a whole number; 28.0 is accepted as 28 because some writers
// emit every number as a float.
func (o object) integer(key string) (int64, bool, error) {
	f, ok, err := o.num(key)
	if !ok || err != nil {
		return 0, ok, err
	}
	if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false, &fieldError{field: o.at(key), msg: fmt.Sprintf("want a whole number, got %s", o.fields[key])}
	}
	return int64(f), true, nil
}

func (o object) boolean(key string) (bool, bool, error) {
	raw, ok, err := o.get(key)
	if err != nil || !ok {
		return false, false, err
	}
	switch string(raw) {
	case "true":
		return true, true, nil
	case "false":
		return false, true, nil
	}
	return false, false, &fieldError{field: o.at(key), msg: "want true or false, got " + kindOf(raw)}
}

func (o object) obj(key string) (object, bool, error) {
	raw, ok, err := o.get(key)
	if err != nil || !ok {
		return object{}, false, err
	}
	sub, err := decodeObject(raw, o.at(key))
	return sub, err == nil, err
}

func (o object) arr(key string) ([]json.RawMessage, bool, error) {
	raw, ok, err := o.get(key)
	if err != nil || !ok {
		return nil, false, err
	}
	if k := kindOf(raw); k != "array" {
		return nil, false, &fieldError{field: o.at(key), msg: "want an array, got " + k}
	}
	var a []json.RawMessage
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, false, &fieldError{field: o.at(key), msg: err.Error()}
	}
	return a, true, nil
}

// kindOf names the JSON type of raw for messages.
func kindOf(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

func sameJSON(a, b json.RawMessage) bool {
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return bytes.Equal(a, b)
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}

// JSONErrorPosition is the 1-based line and column in data of the byte at
// which encoding/json stopped with err: a syntax error, or a value of the
// wrong type. ok is false for any other error, which has no place in the
// text. Every reader of a JSON file that names where it is broken locates
// the error with it.
func JSONErrorPosition(data []byte, err error) (line, col int, ok bool) {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col = position(data, syn.Offset)
	case errors.As(err, &typ):
		line, col = position(data, typ.Offset)
	default:
		return 0, 0, false
	}
	return line, col, true
}

// position converts encoding/json's error offset (bytes read when the error
// was found) to a 1-based line and column.
func position(data []byte, offset int64) (line, col int) {
	pos := int(min(max(offset-1, 0), int64(len(data))))
	before := data[:pos]
	line = 1 + bytes.Count(before, []byte{'\n'})
	col = pos - bytes.LastIndexByte(before, '\n')
	return line, col
}

// marshalIndent renders v with 2-space indentation and a trailing newline,
// without escaping <, > and & (the files are read by people and jq, not
// embedded in HTML).
func marshalIndent(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// timestamp reads an optional RFC 3339 timestamp (any offset) and returns it
// in UTC; absent, null and "" give the zero time.
func (o object) timestamp(key string) (time.Time, error) {
	s, ok, err := o.str(key)
	if err != nil || !ok || strings.TrimSpace(s) == "" {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, &fieldError{field: o.at(key), msg: fmt.Sprintf("invalid timestamp %q, want RFC 3339 such as 2026-01-05T10:00:00Z", s)}
	}
	// Durations between such times overflow (a resolution in 9999 made
	// a signed report's RTO negative), and the workbook cannot show them.
	if y := t.UTC().Year(); y < minYear || y >= maxYear {
		return time.Time{}, &fieldError{field: o.at(key), msg: fmt.Sprintf("timestamp %q is outside the years %d–%d: no run, case or incident is that old or that far ahead", s, minYear, maxYear-1)}
	}
	return t.UTC(), nil
}

// The years a timestamp of a case or an incident may fall in.
const minYear, maxYear = 1970, 2200

// misspelt returns one error for each key of o that is not in known but
// looks like a misspelling of a known key o lacks ("pii_or_regulatry" for
// "pii_or_regulatory"). Where unknown keys are otherwise passed over, such
// a key would leave the rule it meant to set at its default without a
// word; a key unlike any known one is still allowed, since later versions
// of a file may add keys, and so is a look-alike beside the key it
// resembles (the message says so: that is how a key of its own that
// happens to look like a known one is kept). Keys differing from a known
// key only in case are left to get, which refuses them when the key is
// read, except where keys are data (risk flags), whose case matters.
func (o object) misspelt(known ...string) []error {
	var errs []error
	for _, k := range o.keys() {
		if slices.Contains(known, k) {
			continue
		}
		for _, want := range known {
			if raw, present := o.fields[want]; (present && !isNull(raw)) || (!o.dataKeys && strings.EqualFold(k, want)) {
				continue
			}
			if looksLike(k, want) {
				errs = append(errs, &fieldError{field: o.at(k), msg: fmt.Sprintf("is not a key this version reads; did you mean %q? As written, %s is not set (if %q is a key of its own, give %q as well)", want, o.at(want), k, want)})
				break
			}
		}
	}
	return errs
}

// misplaced returns one error for each key of o that this version reads
// one level away (spelt alike once case and separators are dropped),
// where it would be passed over: belongsIn maps such a key to where it
// belongs ("pii_or_regulatory" directly under severity_policy belongs in
// its sev0).
func (o object) misplaced(belongsIn map[string]string) []error {
	var errs []error
	for _, k := range o.keys() {
		for key, where := range belongsIn {
			if foldKey(k) == foldKey(key) {
				errs = append(errs, &fieldError{field: o.at(k), msg: fmt.Sprintf("is read only under %s, not here, where it would be passed over", where)})
				break
			}
		}
	}
	return errs
}

// looksLike reports whether key is a likely misspelling of want: the same
// once case, underscores, hyphens and spaces are dropped, or one edit
// (insert, delete, substitute a letter) from it, two when want has eight
// letters or more. A key that extends want with a separator
// ("retry_loop_v2") names something else, and keys under four letters are
// too short to tell.
func looksLike(key, want string) bool {
	lower := strings.ToLower(key)
	for _, sep := range []string{"_", "-", " "} {
		if strings.HasPrefix(lower, strings.ToLower(want)+sep) {
			return false
		}
	}
	a, b := foldKey(key), foldKey(want)
	if a == b {
		return true
	}
	if utf8.RuneCountInString(a) < 4 || utf8.RuneCountInString(b) < 4 {
		return false
	}
	limit := 2
	if utf8.RuneCountInString(b) < 8 {
		limit = 1
	}
	return levenshtein.ComputeDistance(a, b) <= limit
}

// foldKey is key in lower case without underscores, hyphens and spaces.
func foldKey(key string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '_', '-', ' ':
			return -1
		}
		return unicode.ToLower(r)
	}, key)
}
