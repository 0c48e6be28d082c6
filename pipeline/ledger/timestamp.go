package ledger

import "time"

// parseTimestamp reads an RFC 3339 timestamp exactly as
// time.Parse(time.RFC3339Nano, s) does and returns it in UTC. The common
// shape is decoded directly; everything else is left to time.Parse.
func parseTimestamp(s string) (time.Time, bool) {
	if t, ok := parseRFC3339UTC(s); ok {
		return t, true
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// parseRFC3339UTC decodes "YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)" with the
// range checks of the standard library's own RFC 3339 fast path (which
// time.Parse tries first), so whatever it accepts time.Parse accepts with
// the same instant. Fraction digits beyond the ninth are ignored, as there.
// Years before 1 are left to time.Parse.
func parseRFC3339UTC(s string) (time.Time, bool) {
	if len(s) < len("2006-01-02T15:04:05Z") ||
		s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	year, ok1 := digits4(s, 0)
	month, ok2 := digits2(s, 5)
	day, ok3 := digits2(s, 8)
	hour, ok4 := digits2(s, 11)
	minute, ok5 := digits2(s, 14)
	sec, ok6 := digits2(s, 17)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) ||
		year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(month, year) ||
		hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	s = s[19:]
	nsec := 0
	if len(s) >= 2 && s[0] == '.' && isDigit(s[1]) {
		n := 1
		for ; n < len(s) && isDigit(s[n]); n++ {
			if n <= 9 {
				nsec = nsec*10 + int(s[n]-'0')
			}
		}
		for k := min(n-1, 9); k < 9; k++ {
			nsec *= 10
		}
		s = s[n:]
	}
	offset := 0
	switch {
	case len(s) == 1 && s[0] == 'Z':
	case len(s) == len("-07:00") && (s[0] == '+' || s[0] == '-') && s[3] == ':':
		oh, ok1 := digits2(s, 1)
		om, ok2 := digits2(s, 4)
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return time.Time{}, false
		}
		offset = (oh*60 + om) * 60
		if s[0] == '-' {
			offset = -offset
		}
	default:
		return time.Time{}, false
	}
	unix := daysSinceEpoch(year, month, day)*86400 + int64(hour*3600+minute*60+sec-offset)
	return time.Unix(unix, int64(nsec)).UTC(), true
}

// digits2 returns the value of the two decimal digits at s[i:]. A byte
// below '0' wraps around to more than 9.
func digits2(s string, i int) (int, bool) {
	a, b := s[i]-'0', s[i+1]-'0'
	return int(a)*10 + int(b), a <= 9 && b <= 9
}

// digits4 returns the value of the four decimal digits at s[i:].
func digits4(s string, i int) (int, bool) {
	hi, ok1 := digits2(s, i)
	lo, ok2 := digits2(s, i+2)
	return hi*100 + lo, ok1 && ok2
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysSinceEpoch is the number of days from 1970-01-01 to the given date
// of the proleptic Gregorian calendar (year ≥ 1), by counting in 400-year
// eras that start on 1 March.
func daysSinceEpoch(year, month, day int) int64 {
	if month <= 2 {
		year--
	}
	era := year / 400
	yoe := year - era*400                          // [0, 399]
	doy := (153*((month+9)%12)+2)/5 + day - 1      // [0, 365], from 1 March
	doe := yoe*365 + yoe/4 - yoe/100 + doy         // [0, 146096]
	return int64(era)*146097 + int64(doe) - 719468 // 719468: 0000-03-01 to 1970-01-01
}
