package ledger

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxSkipDepth bounds the nesting parseFast follows inside values of
// unknown keys; deeper input goes to encoding/json, which has its own limit.
const maxSkipDepth = 64

// maxFastFlags is the most risk flags parseFast keeps in its fixed array;
// a longer list (there are ten flag names) goes to encoding/json.
const maxFastFlags = 16

// span is where one decoded string lies in the line's string buffer.
type span struct{ start, end int }

// fastParser decodes one trimmed ledger line that starts with '{'. It
// accepts strictly valid JSON only, and of that only what it can decode
// exactly as encoding/json would into wireRecord; on anything else it gives
// up and Parse asks encoding/json instead. Giving up is always safe, so the
// parser never guesses: it reports a syntax error or a value of the wrong
// type by giving up, not by choosing a reject code.
//
// The unescaped bytes of every string value of the line are appended to one
// buffer (passed along rather than kept here, so that it can live on the
// stack) and become one Go string at the end: one allocation per line
// instead of one per field.
type fastParser struct {
	data   []byte
	spans  [numStrings]span
	flags  [maxFastFlags]span
	nflags int
	w      wire
	// seen holds the fields met so far (null or not); conflict the fields
	// met again with a different value (CodeConflictingFields).
	seen, conflict uint32
}

// parseFast decodes trimmed (non-empty, starting with '{') into r, which
// must be the zero Record. ok is false when it leaves the line to
// parseSlow (r is then untouched); otherwise err, and r when err is nil,
// are what parseSlow would return (err only from normalise: missing fields,
// bad timestamps, negative credits, null flags).
func parseFast(trimmed []byte, r *Record) (err error, ok bool) {
	// Room for the strings of a typical line; longer ones move to the heap.
	var bufStore [512]byte
	p := fastParser{data: trimmed}
	buf, ok := p.object(bufStore[:0])
	if !ok {
		return nil, false
	}
	if p.conflict != 0 {
		return conflicting(p.conflict), true
	}
	// An identifier holding U+FFFD may come from invalid UTF-8, which only
	// the raw bytes tell: encoding/json decides (CodeInvalidUTF8).
	if bytes.IndexByte(buf, 0xEF) >= 0 && p.idHasReplacement(buf) {
		return nil, false
	}
	all := string(buf)
	for set := p.w.set & stringMask; set != 0; set &= set - 1 {
		i := bits.TrailingZeros32(set) - int(firstString)
		p.w.str[i] = all[p.spans[i].start:p.spans[i].end]
	}
	if p.nflags > 0 {
		p.w.flags = make([]string, p.nflags)
		for i, s := range p.flags[:p.nflags] {
			p.w.flags[i] = all[s.start:s.end]
		}
	}
	return normalise(&p.w, r), true
}

// object decodes the whole line, one object and nothing after it,
// appending its strings to buf. Plain strings and numbers, most of a ledger
// line, are decoded here or with one call; p.value takes the rest.
func (p *fastParser) object(buf []byte) ([]byte, bool) {
	d := p.data
	i := skipWS(d, 1)
	if i < len(d) && d[i] == '}' {
		return buf, i+1 == len(d)
	}
	for {
		if i >= len(d) || d[i] != '"' {
			return nil, false
		}
		k := i + 1
		f, j := matchKey(d, k)
		if f == fUnknown {
			// Keys with escapes or non-ASCII bytes are rare and need
			// encoding/json's Unicode case folding: leave them to it.
			if j = plainEnd(d, k); j >= len(d) || d[j] != '"' {
				return nil, false
			}
			f = lookupField(d[k:j])
		}
		// Compact JSON has the value right after the colon.
		if i = j + 2; i >= len(d) || d[i-1] != ':' || d[i] <= ' ' {
			if i = skipWS(d, j+1); i >= len(d) || d[i] != ':' {
				return nil, false
			}
			if i = skipWS(d, i+1); i >= len(d) {
				return nil, false
			}
		}
		var ok bool
		switch c := d[i]; {
		case p.seen&(1<<f) != 0:
			if buf, i, ok = p.repeat(f, i, buf); !ok {
				return nil, false
			}
		case f < firstFloat && c == '"':
			start := len(buf)
			// The commonest loop of the parser: plainEnd fused with the
			// copy, eight bytes at a time while the stack buffer has room.
			j := i + 1
			for j+8 <= len(d) && len(buf)+8 <= cap(buf) {
				x := binary.LittleEndian.Uint64(d[j:])
				binary.LittleEndian.PutUint64(buf[len(buf):len(buf)+8], x)
				if m := specialBytes(x); m != 0 {
					n := bits.TrailingZeros64(m) / 8
					buf = buf[:len(buf)+n]
					j += n
					break
				}
				buf = buf[:len(buf)+8]
				j += 8
			}
			if j < len(d) && d[j] == '"' {
				i = j + 1
			} else if buf, i, ok = appendStringRest(buf, d, j); !ok {
				return nil, false
			}
			p.spans[f-firstString] = span{start, len(buf)}
			p.w.set |= 1 << f
		case f >= firstFloat && f < firstBool && c != 'n':
			if i, ok = p.number(f, i); !ok {
				return nil, false
			}
		default:
			if buf, i, ok = p.value(f, i, buf); !ok {
				return nil, false
			}
		}
		p.seen |= 1 << f
		if i >= len(d) {
			return nil, false
		}
		switch d[i] {
		case ',':
			if i = skipWS(d, i+1); i >= len(d) {
				return nil, false
			}
		case '}':
			return buf, i+1 == len(d)
		default:
			if i = skipWS(d, i); i >= len(d) {
				return nil, false
			}
			switch d[i] {
			case ',':
				i = skipWS(d, i+1)
			case '}':
				return buf, i+1 == len(d)
			default:
				return nil, false
			}
		}
	}
}

// prior is the value of a field before a repeated key replaced it.
type prior struct {
	set      bool
	sp       span
	num      float64
	ints     int64
	b        bool
	flagNull bool
	nflags   int
	flags    [maxFastFlags]span
}

// repeat decodes the value at d[i] of a key met before in the line and
// marks f in p.conflict when the value differs from the earlier one, as
// conflictingKeys does for encoding/json. Repeated keys are rare, so the
// common path pays one bit test for them.
func (p *fastParser) repeat(f field, i int, buf []byte) ([]byte, int, bool) {
	if f == fUnknown {
		return p.value(f, i, buf)
	}
	old := prior{set: p.w.has(f), flagNull: p.w.flagNull, nflags: p.nflags}
	switch {
	case f < firstFloat:
		old.sp = p.spans[f-firstString]
	case f < firstInt:
		old.num = p.w.num[f-firstFloat]
	case f < firstBool:
		old.ints = p.w.ints[f-firstInt]
	case f < fRiskFlags:
		old.b = p.w.bools[f-firstBool]
	default:
		old.flags = p.flags
	}
	buf, i, ok := p.value(f, i, buf)
	if !ok {
		return nil, 0, false
	}
	is := p.w.has(f)
	same := old.set == is
	if same && is {
		switch {
		case f < firstFloat:
			s := p.spans[f-firstString]
			same = string(buf[old.sp.start:old.sp.end]) == string(buf[s.start:s.end])
		case f < firstInt:
			same = old.num == p.w.num[f-firstFloat]
		case f < firstBool:
			same = old.ints == p.w.ints[f-firstInt]
		case f < fRiskFlags:
			same = old.b == p.w.bools[f-firstBool]
		default:
			if old.flagNull || p.w.flagNull {
				// Where a null element stood is not kept: let
				// encoding/json compare the lists.
				return nil, 0, false
			}
			same = old.nflags == p.nflags
			for k := 0; same && k < p.nflags; k++ {
				a, b := old.flags[k], p.flags[k]
				same = string(buf[a.start:a.end]) == string(buf[b.start:b.end])
			}
		}
	}
	if !same {
		p.conflict |= 1 << f
	}
	return buf, i, true
}

// idHasReplacement reports whether an identifier field decoded to a
// string holding U+FFFD.
func (p *fastParser) idHasReplacement(buf []byte) bool {
	for _, f := range idFields {
		if p.w.has(f) {
			s := p.spans[f-firstString]
			if bytes.Contains(buf[s.start:s.end], []byte("\uFFFD")) {
				return true
			}
		}
	}
	return false
}

// number decodes the number at d[i] into the float or int field f and
// returns the index after it. Plain decimals are converted here; exponents
// and long mantissas go to numberText, and anything encoding/json would not
// store without error is left to it.
func (p *fastParser) number(f field, i int) (int, bool) {
	d := p.data
	start := i
	neg := i < len(d) && d[i] == '-'
	if neg {
		i++
	}
	var mant uint64
	digits := 0
	if i < len(d) && d[i] == '0' {
		i++ // a leading zero stands alone
	} else {
		for ; i < len(d) && d[i]-'0' <= 9; i++ {
			mant = mant*10 + uint64(d[i]-'0')
			digits++
		}
		if digits == 0 {
			return 0, false
		}
	}
	frac := 0
	if i < len(d) && d[i] == '.' {
		i++
		for ; i < len(d) && d[i]-'0' <= 9; i++ {
			mant = mant*10 + uint64(d[i]-'0')
			frac++
		}
		if frac == 0 {
			return 0, false
		}
		digits += frac
	}
	if i < len(d) && d[i]|0x20 == 'e' {
		return p.numberText(f, start)
	}
	if f < firstInt {
		// Up to 15 digits: the digits and the power of ten are both exact
		// float64s, so one correctly rounded division gives the correctly
		// rounded value — what strconv.ParseFloat returns.
		if digits > 15 || frac >= len(exactPow10) {
			return p.numberText(f, start)
		}
		v := float64(mant)
		if frac > 0 {
			v /= exactPow10[frac]
		}
		if neg {
			v = -v
		}
		p.w.num[f-firstFloat] = v
	} else {
		if frac > 0 {
			return 0, false // not an integer: a type error for encoding/json
		}
		if digits > 18 {
			return p.numberText(f, start)
		}
		v := int64(mant)
		if neg {
			v = -v
		}
		p.w.ints[f-firstInt] = v
	}
	p.w.set |= 1 << f
	return i, true
}

// numberText is number for the rarer forms, converted from their text by
// strconv as encoding/json does.
func (p *fastParser) numberText(f field, i int) (int, bool) {
	n, ok := scanNumber(p.data, i)
	if !ok {
		return 0, false
	}
	text := p.data[i:n.end]
	if f < firstInt {
		v, err := strconv.ParseFloat(string(text), 64)
		if err != nil {
			return 0, false // out of range: encoding/json reports it
		}
		p.w.num[f-firstFloat] = v
	} else {
		if n.frac > 0 || n.exp {
			return 0, false
		}
		v, err := strconv.ParseInt(string(text), 10, 64)
		if err != nil {
			return 0, false
		}
		p.w.ints[f-firstInt] = v
	}
	p.w.set |= 1 << f
	return n.end, true
}

// value decodes the value at d[i] (not whitespace, i < len(d)) into field f,
// appending string values to buf, and returns the index after it. object
// handles the common cases itself and calls value for the others.
func (p *fastParser) value(f field, i int, buf []byte) ([]byte, int, bool) {
	d := p.data
	if f == fUnknown {
		i, ok := skipValue(d, i, 0)
		return buf, i, ok
	}
	if d[i] == 'n' {
		// null leaves a field absent, as for encoding/json's pointers.
		if !hasLiteral(d, i, "null") {
			return nil, 0, false
		}
		p.w.set &^= 1 << f
		if f == fRiskFlags {
			p.nflags = 0
			p.w.flagNull = false
		}
		return buf, i + 4, true
	}
	switch {
	case f < firstFloat:
		if d[i] != '"' {
			return nil, 0, false
		}
		start := len(buf)
		var ok bool
		if buf, i, ok = appendString(buf, d, i); !ok {
			return nil, 0, false
		}
		p.spans[f-firstString] = span{start, len(buf)}
		p.w.set |= 1 << f
		return buf, i, true
	case f < firstBool:
		i, ok := p.number(f, i)
		return buf, i, ok
	case f < fRiskFlags:
		var v bool
		switch {
		case hasLiteral(d, i, "true"):
			v = true
			i += 4
		case hasLiteral(d, i, "false"):
			i += 5
		default:
			return nil, 0, false
		}
		p.w.bools[f-firstBool] = v
		p.w.set |= 1 << f
		return buf, i, true
	default:
		return p.riskFlags(i, buf)
	}
}

// riskFlags decodes the array at d[i]; a repeated key replaces the earlier
// list, as encoding/json does.
func (p *fastParser) riskFlags(i int, buf []byte) ([]byte, int, bool) {
	d := p.data
	if d[i] != '[' {
		return nil, 0, false
	}
	p.nflags = 0
	p.w.flagNull = false
	p.w.set |= 1 << fRiskFlags
	i = skipWS(d, i+1)
	if i < len(d) && d[i] == ']' {
		return buf, i + 1, true
	}
	for i < len(d) {
		switch d[i] {
		case '"':
			if p.nflags == len(p.flags) {
				return nil, 0, false
			}
			start := len(buf)
			var ok bool
			if buf, i, ok = appendString(buf, d, i); !ok {
				return nil, 0, false
			}
			p.flags[p.nflags] = span{start, len(buf)}
			p.nflags++
		case 'n':
			if !hasLiteral(d, i, "null") {
				return nil, 0, false
			}
			p.w.flagNull = true
			i += 4
		default:
			return nil, 0, false
		}
		i = skipWS(d, i)
		if i >= len(d) {
			return nil, 0, false
		}
		switch d[i] {
		case ',':
			i = skipWS(d, i+1)
		case ']':
			return buf, i + 1, true
		default:
			return nil, 0, false
		}
	}
	return nil, 0, false
}

// appendString appends the unescaped value of the string starting at d[i]
// (its opening quote) to buf and returns the index after its closing quote.
// Unescaping follows encoding/json exactly: invalid UTF-8 bytes and
// unpaired surrogate escapes become U+FFFD.
func appendString(buf, d []byte, i int) ([]byte, int, bool) {
	return appendStringRest(buf, d, i+1)
}

// appendStringRest is appendString from d[i] on, inside the string.
func appendStringRest(buf, d []byte, i int) ([]byte, int, bool) {
	run := i // start of the bytes not yet copied
	for {
		if i = plainEnd(d, i); i >= len(d) {
			return nil, 0, false
		}
		switch c := d[i]; {
		case c == '"':
			return append(buf, d[run:i]...), i + 1, true
		case c == '\\':
			buf = append(buf, d[run:i]...)
			var ok bool
			if buf, i, ok = appendEscape(buf, d, i); !ok {
				return nil, 0, false
			}
			run = i
		case c < 0x20:
			return nil, 0, false
		default:
			r, size := utf8.DecodeRune(d[i:])
			if r == utf8.RuneError && size == 1 {
				buf = append(buf, d[run:i]...)
				buf = utf8.AppendRune(buf, utf8.RuneError)
				run = i + 1
			}
			i += size
		}
	}
}

// appendEscape appends the character of the escape sequence at d[i] (its
// backslash) to buf and returns the index after the sequence.
func appendEscape(buf, d []byte, i int) ([]byte, int, bool) {
	if i+1 >= len(d) {
		return nil, 0, false
	}
	var c byte
	switch d[i+1] {
	case '"', '\\', '/':
		c = d[i+1]
	case 'b':
		c = '\b'
	case 'f':
		c = '\f'
	case 'n':
		c = '\n'
	case 'r':
		c = '\r'
	case 't':
		c = '\t'
	case 'u':
		r := hex4(d, i+2)
		if r <= 0 {
			// U+0000 is left to encoding/json, which tells the field
			// (CodeNULInText).
			return nil, 0, false
		}
		i += 6
		if utf16.IsSurrogate(r) {
			// A valid pair is consumed whole; anything else yields U+FFFD
			// for this escape alone and the next one is read on its own.
			r1 := rune(-1)
			if i+1 < len(d) && d[i] == '\\' && d[i+1] == 'u' {
				r1 = hex4(d, i+2)
			}
			if dec := utf16.DecodeRune(r, r1); dec != utf8.RuneError {
				return utf8.AppendRune(buf, dec), i + 6, true
			}
			r = utf8.RuneError
		}
		return utf8.AppendRune(buf, r), i, true
	default:
		return nil, 0, false
	}
	return append(buf, c), i + 2, true
}

// hex4 returns the value of the four hex digits at d[i:], or -1.
func hex4(d []byte, i int) rune {
	if i+4 > len(d) {
		return -1
	}
	var r rune
	for _, c := range d[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// number describes a JSON number scanned by scanNumber.
type number struct {
	end  int  // index after the number
	frac int  // digits in the fraction part
	exp  bool // has an exponent part
}

// scanNumber scans the JSON number at d[i:] by the JSON grammar.
func scanNumber(d []byte, i int) (n number, ok bool) {
	if i < len(d) && d[i] == '-' {
		i++
	}
	if i >= len(d) {
		return n, false
	}
	switch c := d[i]; {
	case c == '0':
		i++
	case '1' <= c && c <= '9':
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	default:
		return n, false
	}
	if i < len(d) && d[i] == '.' {
		i++
		start := i
		for i < len(d) && isDigit(d[i]) {
			i++
		}
		if n.frac = i - start; n.frac == 0 {
			return n, false
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		start := i
		for i < len(d) && isDigit(d[i]) {
			i++
		}
		if i == start {
			return n, false
		}
		n.exp = true
	}
	n.end = i
	return n, true
}

// exactPow10 holds the powers of ten a float64 represents exactly. It is a
// constant table; nothing writes to it.
var exactPow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// skipValue validates the JSON value at d[i:] and returns the index after
// it. It is used for the values of unknown keys, which are ignored but must
// still be valid JSON.
func skipValue(d []byte, i, depth int) (int, bool) {
	if i >= len(d) {
		return 0, false
	}
	switch c := d[i]; {
	case c == '"':
		return skipString(d, i)
	case c == '{' || c == '[':
		if depth >= maxSkipDepth {
			return 0, false
		}
		closing := byte('}')
		if c == '[' {
			closing = ']'
		}
		i = skipWS(d, i+1)
		if i < len(d) && d[i] == closing {
			return i + 1, true
		}
		for {
			var ok bool
			if c == '{' {
				if i >= len(d) || d[i] != '"' {
					return 0, false
				}
				if i, ok = skipString(d, i); !ok {
					return 0, false
				}
				i = skipWS(d, i)
				if i >= len(d) || d[i] != ':' {
					return 0, false
				}
				i = skipWS(d, i+1)
			}
			if i, ok = skipValue(d, i, depth+1); !ok {
				return 0, false
			}
			i = skipWS(d, i)
			if i >= len(d) {
				return 0, false
			}
			switch d[i] {
			case ',':
				i = skipWS(d, i+1)
			case closing:
				return i + 1, true
			default:
				return 0, false
			}
		}
	case c == 't':
		return i + 4, hasLiteral(d, i, "true")
	case c == 'f':
		return i + 5, hasLiteral(d, i, "false")
	case c == 'n':
		return i + 4, hasLiteral(d, i, "null")
	default:
		n, ok := scanNumber(d, i)
		return n.end, ok
	}
}

// skipString validates the string starting at d[i] (its opening quote) and
// returns the index after its closing quote.
func skipString(d []byte, i int) (int, bool) {
	for i++; ; {
		if i = plainEnd(d, i); i >= len(d) {
			return 0, false
		}
		switch c := d[i]; {
		case c == '"':
			return i + 1, true
		case c == '\\':
			if i+1 >= len(d) {
				return 0, false
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if hex4(d, i+2) < 0 {
					return 0, false
				}
				i += 6
			default:
				return 0, false
			}
		case c < 0x20:
			return 0, false
		default:
			i++ // any byte from 0x80 up is valid in a JSON string
		}
	}
}

// Byte-lane constants for plainEnd.
const (
	lanes01 = 0x0101010101010101
	lanes80 = 0x8080808080808080
)

// plainEnd returns the index of the first byte at or after i that ends a
// run of plain string bytes — '"', '\\', a control byte or a non-ASCII
// byte — or len(d). It tests eight bytes at a time: string contents are
// most of a ledger line.
func plainEnd(d []byte, i int) int {
	for ; i+8 <= len(d); i += 8 {
		if m := specialBytes(binary.LittleEndian.Uint64(d[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	return plainEndTail(d, i)
}

// specialBytes sets the high bit of each byte lane of x that holds a byte
// below 0x20, '"' or '\\' (the classic has-zero-byte test on x and on x
// xor the byte), or a byte of 0x80 or more. Borrows only propagate upwards,
// so the lowest set bit is exact; higher ones may not be.
func specialBytes(x uint64) uint64 {
	q := x ^ (lanes01 * '"')
	b := x ^ (lanes01 * '\\')
	return (x - lanes01*0x20 | x | (q-lanes01)&^q | (b-lanes01)&^b) & lanes80
}

// plainEndTail is plainEnd for the last (fewer than eight) bytes of d.
func plainEndTail(d []byte, i int) int {
	for ; i < len(d); i++ {
		if c := d[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' {
			return i
		}
	}
	return i
}

func hasLiteral(d []byte, i int, lit string) bool {
	return len(d)-i >= len(lit) && string(d[i:i+len(lit)]) == lit
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// skipWS returns the index of the first byte at or after i that is not
// JSON whitespace.
func skipWS(d []byte, i int) int {
	for i < len(d) {
		switch d[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}
