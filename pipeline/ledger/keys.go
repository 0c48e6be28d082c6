package ledger

import "encoding/binary"

// lookupField maps a key to its field the way encoding/json matches object
// keys to struct tags: exactly or ASCII case-insensitively. key must be
// plain ASCII without escapes; the caller leaves other keys to encoding/json,
// whose Unicode folding (U+212A KELVIN SIGN ≡ k, U+017F LONG S ≡ s) it does
// not repeat.
func lookupField(key []byte) field {
	// Length and first letter single out at most one candidate; one folded
	// comparison then decides. Known keys mostly reach matchKey instead;
	// this serves the rest (unknown keys, keys at the very end of a line).
	if len(key) < 5 || len(key) > 25 {
		return fUnknown
	}
	c0 := key[0] | 0x20
	var f field = fUnknown
	switch len(key) {
	case 5:
		f = pick2(c0, 'm', fModel, 'o', fOwner)
	case 6:
		f = pick2(c0, 'r', fRunID, 's', fStatus)
	case 8:
		f = pick2(c0, 'j', fJobType, 's', fSeverity)
	case 9:
		f = pick2(c0, 't', fTimestamp, 0, fUnknown)
	case 10:
		f = pick2(c0, 'c', fCreditsIn, 'r', fRiskFlags)
	case 11:
		switch c0 {
		case 's':
			f = fScenarioID
		case 'c':
			f = fCreditsOut
		case 'r':
			f = fRetryCount
		case 'i':
			f = fIsBackfill
		}
	case 12:
		switch c0 {
		case 'r':
			f = fRiskSummary
		case 'i':
			f = pick2(key[1]|0x20, 'n', fInputTokens, 's', fIsBatchJob)
		}
	case 13:
		switch c0 {
		case 's':
			f = fScenarioName
		case 'c':
			f = fCreditsTotal
		case 'o':
			f = fOutputTokens
		}
	case 14:
		switch c0 {
		case 'a':
			f = fArtifactsLink
		case 'p':
			f = fPromptVersion
		case 'n':
			f = fNotionCaseID
		}
	case 16:
		f = pick2(c0, 'i', fInputItemCount, 0, fUnknown)
	case 19:
		f = pick2(c0, 'v', fVarianceMultiplier, 'h', fHasIdempotencyKey)
	case 20:
		switch c0 {
		case 'm':
			f = fMisconfigLikelihood
		case 'h':
			f = fHasMaxItemsConfig
		case 'd':
			f = fDeploymentTimestamp
		}
	case 25:
		f = pick2(c0, 'b', fBaselineExpectedCredits, 0, fUnknown)
	}
	if f == fUnknown || !equalFoldTag(key, fieldNames[f]) {
		return fUnknown
	}
	return f
}

// matchKey decodes the key starting at d[k] when it is a tag in any ASCII
// case, directly followed by its closing quote: it returns the field and
// the index of that quote. Otherwise — other keys, escapes, non-ASCII, or
// fewer than eight bytes left in d — it returns fUnknown, and the caller
// takes the general path (plainEnd, lookupField).
//
// The first letter of a key, and at most one more, single out the one tag
// it can be; whole-word comparisons then check that tag. It may read up to
// seven bytes past the closing quote.
func matchKey(d []byte, k int) (field, int) {
	if k < 0 || k+8 > len(d) {
		return fUnknown, 0
	}
	b := d[k:]
	x0 := binary.LittleEndian.Uint64(b)
	// at returns byte i of the key (i < 8) with bit 0x20 set: lower case
	// for letters.
	at := func(i uint) byte { return byte(x0>>(8*i)) | 0x20 }
	f := fUnknown
	switch at(0) {
	case 'a':
		f = fArtifactsLink
	case 'b':
		f = fBaselineExpectedCredits
	case 'c': // credits_total, credits_in, credits_out
		if len(b) > 8 {
			f = pick3(b[8]|0x20, 't', fCreditsTotal, 'i', fCreditsIn, 'o', fCreditsOut)
		}
	case 'd':
		f = fDeploymentTimestamp
	case 'h':
		f = pick2(at(4), 'm', fHasMaxItemsConfig, 'i', fHasIdempotencyKey)
	case 'i':
		switch at(1) {
		case 'n':
			f = pick2(at(6), 't', fInputTokens, 'i', fInputItemCount)
		case 's':
			f = pick2(at(5), 't', fIsBatchJob, 'c', fIsBackfill)
		}
	case 'j':
		f = fJobType
	case 'm':
		f = pick2(at(1), 'o', fModel, 'i', fMisconfigLikelihood)
	case 'n':
		f = fNotionCaseID
	case 'o':
		f = pick2(at(1), 'u', fOutputTokens, 'w', fOwner)
	case 'p':
		f = fPromptVersion
	case 'r':
		switch at(1) {
		case 'u':
			f = fRunID
		case 'e':
			f = fRetryCount
		case 'i':
			f = pick2(at(5), 'f', fRiskFlags, 's', fRiskSummary)
		}
	case 's':
		switch at(1) {
		case 'c': // scenario_name, scenario_id
			if len(b) > 9 {
				f = pick2(b[9]|0x20, 'n', fScenarioName, 'i', fScenarioID)
			}
		case 't':
			f = fStatus
		case 'e':
			f = fSeverity
		}
	case 't':
		f = fTimestamp
	case 'v':
		f = fVarianceMultiplier
	}
	if f == fUnknown {
		return fUnknown, 0
	}
	p := &tagPatterns[f]
	n := p.n
	if n >= len(b) || b[n] != '"' || x0&p.mask0|p.fold0 != p.word0 {
		return fUnknown, 0
	}
	if n > 8 {
		if binary.LittleEndian.Uint64(b[n-8:])|p.foldLast != p.wordLast {
			return fUnknown, 0
		}
		if n > 16 {
			if binary.LittleEndian.Uint64(b[8:])|p.fold1 != p.word1 {
				return fUnknown, 0
			}
			if n > 24 && binary.LittleEndian.Uint64(b[16:])|p.fold2 != p.word2 {
				return fUnknown, 0
			}
		}
	}
	return f, k + n
}

func pick3(c, c1 byte, f1 field, c2 byte, f2 field, c3 byte, f3 field) field {
	switch c {
	case c1:
		return f1
	case c2:
		return f2
	case c3:
		return f3
	}
	return fUnknown
}

func pick2(c, c1 byte, f1 field, c2 byte, f2 field) field {
	switch c {
	case c1:
		return f1
	case c2:
		return f2
	}
	return fUnknown
}

// equalFoldTag reports whether key equals tag ignoring ASCII case, the
// folding encoding/json applies to ASCII keys. tag is lower-case letters
// and underscores.
func equalFoldTag(key []byte, tag string) bool {
	if len(key) != len(tag) {
		return false
	}
	for i := 0; i < len(key); i++ {
		c, t := key[i], tag[i]
		if c != t && (t < 'a' || t > 'z' || c != t-('a'-'A')) {
			return false
		}
	}
	return true
}

// tagPattern is a tag laid out for matchKey, which compares a key with it
// eight bytes at a time: a key word matches when, with bit 0x20 set in the
// lanes where the tag has letters, it equals the tag's word. word0 covers
// bytes 0–7 (masked to the tag's length when shorter), wordLast the last
// eight, word1 and word2 bytes 8–15 and 16–23 for long tags.
type tagPattern struct {
	n                   int
	word0, mask0, fold0 uint64
	word1, fold1        uint64
	word2, fold2        uint64
	wordLast, foldLast  uint64
}

// tagPatterns holds the pattern of every field's tag. It is computed once
// from fieldNames and only read after that.
var tagPatterns = func() (ps [numFields]tagPattern) {
	// word returns tag[from:from+8] (cut at its end), its fold bits and
	// the mask of the bytes it covers.
	word := func(tag string, from int) (w, fold, mask uint64) {
		for i := 0; i < 8 && from+i < len(tag); i++ {
			c := uint64(tag[from+i])
			w |= c << (8 * i)
			mask |= 0xff << (8 * i)
			if 'a' <= c && c <= 'z' {
				fold |= 0x20 << (8 * i)
			}
		}
		return w, fold, mask
	}
	for f, tag := range fieldNames {
		p := &ps[f]
		p.n = len(tag)
		p.word0, p.fold0, p.mask0 = word(tag, 0)
		p.word1, p.fold1, _ = word(tag, 8)
		p.word2, p.fold2, _ = word(tag, 16)
		p.wordLast, p.foldLast, _ = word(tag, max(len(tag)-8, 0))
	}
	return ps
}()

// fieldNames are the wire tags of the fields (the snake_case spelling),
// indexed by field. It is a constant table; nothing writes to it.
var fieldNames = [numFields]string{
	fRunID:                   "run_id",
	fTimestamp:               "timestamp",
	fScenarioName:            "scenario_name",
	fScenarioID:              "scenario_id",
	fJobType:                 "job_type",
	fStatus:                  "status",
	fModel:                   "model",
	fArtifactsLink:           "artifacts_link",
	fSeverity:                "severity",
	fRiskSummary:             "risk_summary",
	fMisconfigLikelihood:     "misconfig_likelihood",
	fPromptVersion:           "prompt_version",
	fDeploymentTimestamp:     "deployment_timestamp",
	fNotionCaseID:            "notion_case_id",
	fOwner:                   "owner",
	fCreditsTotal:            "credits_total",
	fCreditsIn:               "credits_in",
	fCreditsOut:              "credits_out",
	fBaselineExpectedCredits: "baseline_expected_credits",
	fVarianceMultiplier:      "variance_multiplier",
	fInputTokens:             "input_tokens",
	fOutputTokens:            "output_tokens",
	fRetryCount:              "retry_count",
	fInputItemCount:          "input_item_count",
	fHasMaxItemsConfig:       "has_max_items_config",
	fHasIdempotencyKey:       "has_idempotency_key",
	fIsBatchJob:              "is_batch_job",
	fIsBackfill:              "is_backfill",
	fRiskFlags:               "risk_flags",
}
