package ledger

// field names one key of a ledger line, in its normalised (snake_case)
// spelling. Fields are grouped by wire type so that each group indexes its
// own array in wire: strings first, then floats, ints and bools.
type field uint8

const (
	fRunID field = iota
	fTimestamp
	fScenarioName
	fScenarioID
	fJobType
	fStatus
	fModel
	fArtifactsLink
	fSeverity
	fRiskSummary
	fMisconfigLikelihood
	fPromptVersion
	fDeploymentTimestamp
	fNotionCaseID
	fOwner

	fCreditsTotal
	fCreditsIn
	fCreditsOut
	fBaselineExpectedCredits
	fVarianceMultiplier

	fInputTokens
	fOutputTokens
	fRetryCount
	fInputItemCount

	fHasMaxItemsConfig
	fHasIdempotencyKey
	fIsBatchJob
	fIsBackfill

	fRiskFlags

	numFields
	fUnknown = numFields // a key that names no field: its value is skipped
)

// First field and count of each wire type.
const (
	firstString = fRunID
	numStrings  = int(fCreditsTotal - fRunID)
	firstFloat  = fCreditsTotal
	numFloats   = int(fInputTokens - fCreditsTotal)
	firstInt    = fInputTokens
	numInts     = int(fHasMaxItemsConfig - fInputTokens)
	firstBool   = fHasMaxItemsConfig
	numBools    = int(fRiskFlags - fHasMaxItemsConfig)
)

// wire is one decoded line before normalisation: the value of every field
// the line carried (the last occurrence of a repeated key) and which fields
// were present and not null. Both parsers fill it, so that the rules of
// normalise — required fields, fallbacks, credit checks — exist once.
type wire struct {
	set   uint32 // bit f: field f carried a non-null value
	str   [numStrings]string
	num   [numFloats]float64
	ints  [numInts]int64
	bools [numBools]bool
	// flags holds the elements of risk_flags; flagNull says one of them was
	// null, which normalise rejects (after the checks that come first).
	flags    []string
	flagNull bool
	// badUTF8 bit f: the raw value of identifier f held invalid UTF-8 or
	// an unpaired surrogate escape (only the reference decoder sets it;
	// the fast one leaves such lines to it).
	badUTF8 uint32
	// nulText bit f: text field f (or, for fRiskFlags, an element of
	// risk_flags) held U+0000 (only the reference decoder sets it; the
	// fast one leaves such lines to it).
	nulText uint32
}

func (w *wire) has(f field) bool { return w.set&(1<<f) != 0 }

func (w *wire) str1(f field) string { return w.str[f-firstString] }

func (w *wire) num1(f field) float64 { return w.num[f-firstFloat] }

// optionals backs the pointer fields of one Record: a single allocation for
// all of a line's optional numbers and booleans instead of one per field.
type optionals struct {
	num   [numFloats]float64
	ints  [numInts]int64
	bools [numBools]bool
}

// stringMask selects the string fields in wire.set.
const stringMask = 1<<firstFloat - 1<<firstString

// optionalMask selects the fields that become pointers in a Record.
const optionalMask = (1<<numFields - 1) &^ (1<<firstFloat - 1) &^ (1 << fCreditsTotal) &^ (1 << fRiskFlags)
