package rules

// SeverityRank orders severities, SEV0 first (0) to SEV4 (4); anything
// else ranks 9, after them.
func SeverityRank(s string) int {
	if len(s) == 4 && s[:3] == "SEV" && s[3] >= '0' && s[3] <= '4' {
		return int(s[3] - '0')
	}
	return 9
}

// HigherSeverity returns the more severe of two severities (either may be
// empty); a tie keeps a.
func HigherSeverity(a, b string) string {
	if SeverityRank(b) < SeverityRank(a) {
		return b
	}
	return a
}
