package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/marcboeker/go-duckdb"
)

// colType is a result column's SQL type as the driver names it
// ("TIMESTAMP", "DECIMAL(18,2)", "DATE[]", "STRUCT(d DATE, t TIME)",
// "MAP(VARCHAR, TIMESTAMP)"), parsed far enough that a value nested in a
// list, struct or map is rendered by its own type: a zone-less TIMESTAMP
// in a list prints without a zone, as it does in a column of its own.
type colType struct {
	name   string              // the whole type, or the scalar type's name
	elem   *colType            // LIST: the element type
	fields map[string]*colType // STRUCT: field name → type
	key    *colType            // MAP: key type
	val    *colType            // MAP: value type
}

// parseColType parses a driver type name. What it cannot take apart stays
// a scalar named as given, which renders by the value's Go type.
func parseColType(s string) *colType {
	s = strings.TrimSpace(s)
	t := &colType{name: s}
	switch {
	case strings.HasSuffix(s, "[]"):
		t.elem = parseColType(strings.TrimSuffix(s, "[]"))
	case strings.HasPrefix(s, "STRUCT(") && strings.HasSuffix(s, ")"):
		t.fields = map[string]*colType{}
		for _, f := range splitTopLevel(s[len("STRUCT(") : len(s)-1]) {
			name, typ := structField(f)
			t.fields[name] = parseColType(typ)
		}
	case strings.HasPrefix(s, "MAP(") && strings.HasSuffix(s, ")"):
		if kv := splitTopLevel(s[len("MAP(") : len(s)-1]); len(kv) == 2 {
			t.key, t.val = parseColType(kv[0]), parseColType(kv[1])
		}
	}
	return t
}

// splitTopLevel splits a type list at the commas outside parentheses and
// quoted names.
func splitTopLevel(s string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			quoted = !quoted // a doubled quote toggles twice
		case quoted:
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ',' && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// structField splits `name TYPE` (the name quoted, with doubled quotes,
// when it needs to be).
func structField(f string) (name, typ string) {
	f = strings.TrimSpace(f)
	if strings.HasPrefix(f, `"`) {
		for i := 1; i < len(f); i++ {
			if f[i] != '"' {
				continue
			}
			if i+1 < len(f) && f[i+1] == '"' {
				i++
				continue
			}
			return strings.ReplaceAll(f[1:i], `""`, `"`), f[i+1:]
		}
	}
	name, typ, _ = strings.Cut(f, " ")
	return name, typ
}

func (t *colType) typeName() string {
	if t == nil {
		return ""
	}
	return t.name
}

// timeText formats a time value by its SQL type: DATE as YYYY-MM-DD, TIME
// as hh:mm:ss, a zone-less TIMESTAMP as ISO 8601 without a zone, and
// TIMESTAMPTZ (an instant) as ISO 8601 in UTC.
func timeText(v time.Time, sqlType string) string {
	if s := infinite(v, sqlType); s != "" {
		return s
	}
	switch sqlType {
	case "DATE":
		return v.Format(time.DateOnly)
	case "TIME":
		return v.Format("15:04:05.999999")
	case "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS":
		return v.UTC().Format("2006-01-02T15:04:05.999999999")
	default:
		return v.UTC().Format(time.RFC3339Nano)
	}
}

// infinite is "infinity" or "-infinity" for the engine's infinite DATE
// and timestamps, which the driver hands over as the instants at the
// ends of their range (294247-01-10T04:00:54.775807: an invented date
// in a forensic answer, a review), and "" for any other value.
func infinite(v time.Time, sqlType string) string {
	var n, end int64
	switch sqlType {
	case "DATE":
		n, end = v.Unix()/86400, math.MaxInt32
	case "TIMESTAMP", "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE":
		n, end = v.UnixMicro(), math.MaxInt64
	default:
		return ""
	}
	switch n {
	case end:
		return "infinity"
	case -end:
		return "-infinity"
	}
	return ""
}

// floatText is a float as csv and table show it; NaN and the infinities,
// which JSON cannot carry as numbers, are these same words in JSON, as
// strings.
func floatText(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(f, 'f', -1, bits)
}

// decimalText is a DECIMAL's exact value in plain notation: 1.50 for
// DECIMAL(3,2) 150.
func decimalText(d duckdb.Decimal) string {
	if d.Value == nil {
		return "0"
	}
	digits := new(big.Int).Abs(d.Value).String()
	sign := ""
	if d.Value.Sign() < 0 {
		sign = "-"
	}
	scale := int(d.Scale)
	if scale == 0 {
		return sign + digits
	}
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	return sign + digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
}

// intervalText shows an INTERVAL as the engine itself prints one: "1 year
// 2 months 3 days 04:05:06.5", "00:00:00" for none.
func intervalText(iv duckdb.Interval) string {
	var parts []string
	unit := func(n int64, one string) {
		if n == 0 {
			return
		}
		s := strconv.FormatInt(n, 10) + " " + one
		if n != 1 && n != -1 {
			s += "s"
		}
		parts = append(parts, s)
	}
	unit(int64(iv.Months/12), "year")
	unit(int64(iv.Months%12), "month")
	unit(int64(iv.Days), "day")
	if iv.Micros != 0 || len(parts) == 0 {
		us := iv.Micros
		sign := ""
		if us < 0 {
			sign, us = "-", -us
		}
		s := fmt.Sprintf("%s%02d:%02d:%02d", sign, us/3_600_000_000, us/60_000_000%60, us/1_000_000%60)
		if frac := us % 1_000_000; frac != 0 {
			s += strings.TrimRight(fmt.Sprintf(".%06d", frac), "0")
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// jsonValue converts a driver value to what encoding/json renders as the
// documented output: times by their SQL type (nested ones too), DECIMAL
// as an exact number, NaN and ±Inf as strings, an INTERVAL as text, BLOB
// in hex, a MAP as an object keyed by its keys' text.
func jsonValue(v any, t *colType) any {
	switch x := v.(type) {
	case time.Time:
		return timeText(x, t.typeName())
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return floatText(x, 64)
		}
		return x
	case float32:
		if f := float64(x); math.IsNaN(f) || math.IsInf(f, 0) {
			return floatText(f, 32)
		}
		return json.Number(floatText(float64(x), 32))
	case duckdb.Decimal:
		return json.Number(decimalText(x))
	case duckdb.Interval:
		return intervalText(x)
	case []byte:
		return hex.EncodeToString(x)
	case []any:
		var elem *colType
		if t != nil {
			elem = t.elem
		}
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonValue(e, elem)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			var ft *colType
			if t != nil {
				ft = t.fields[k]
			}
			out[k] = jsonValue(e, ft)
		}
		return out
	case duckdb.Map:
		var kt, vt *colType
		if t != nil {
			kt, vt = t.key, t.val
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[cellText(k, kt)] = jsonValue(e, vt)
		}
		return out
	default:
		return v
	}
}

// cellText is a value as csv and table show it: NULL as an empty field,
// nested values as JSON.
func cellText(v any, t *colType) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return floatText(x, 64)
	case float32:
		return floatText(float64(x), 32)
	case time.Time:
		return timeText(x, t.typeName())
	case duckdb.Decimal:
		return decimalText(x)
	case duckdb.Interval:
		return intervalText(x)
	case []byte:
		return hex.EncodeToString(x)
	case []any, map[string]any, duckdb.Map:
		b, _ := json.Marshal(jsonValue(x, t))
		return string(b)
	default:
		return fmt.Sprint(x)
	}
}

// duplicateColumn returns a column name that occurs twice in cols, or "".
func duplicateColumn(cols []string) string {
	seen := make(map[string]bool, len(cols))
	for _, c := range cols {
		if seen[c] {
			return c
		}
		seen[c] = true
	}
	return ""
}
