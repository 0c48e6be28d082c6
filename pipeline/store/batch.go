package store

import (
	"math"
	"time"
	"unsafe"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/zeebo/xxh3"

	"github.com/ledgerlens/ledgerlens/pipeline/ledger"
)

// rowSchema is the Arrow schema of a batch of ledger rows; its field names
// are ledger_rows' columns, and batches are inserted BY NAME. The repeated
// text columns (codedColumns) are UINTEGER codes (codes.go).
func rowSchema() *arrow.Schema {
	str := arrow.BinaryTypes.String
	code := arrow.PrimitiveTypes.Uint32
	f64 := arrow.PrimitiveTypes.Float64
	i64 := arrow.PrimitiveTypes.Int64
	bl := arrow.FixedWidthTypes.Boolean
	return arrow.NewSchema([]arrow.Field{
		{Name: "line_no", Type: i64},
		{Name: "byte_offset", Type: i64},
		{Name: "ingest_seq", Type: arrow.PrimitiveTypes.Int32},
		{Name: "run_id", Type: str},
		{Name: "run_hash", Type: i64},
		{Name: "timestamp", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
		{Name: "scenario_id", Type: code},
		{Name: "scenario_name", Type: code},
		{Name: "job_type", Type: code, Nullable: true},
		{Name: "status", Type: code, Nullable: true},
		{Name: "credits_total", Type: f64},
		{Name: "credits_in", Type: f64, Nullable: true},
		{Name: "credits_out", Type: f64, Nullable: true},
		{Name: "model", Type: code, Nullable: true},
		{Name: "input_tokens", Type: i64, Nullable: true},
		{Name: "output_tokens", Type: i64, Nullable: true},
		{Name: "artifacts_link", Type: str, Nullable: true},
		{Name: "severity", Type: code, Nullable: true},
		{Name: "risk_flags", Type: arrow.ListOf(str), Nullable: true},
		{Name: "risk_summary", Type: str, Nullable: true},
		{Name: "misconfig_likelihood", Type: code, Nullable: true},
		{Name: "baseline_expected_credits", Type: f64, Nullable: true},
		{Name: "variance_multiplier", Type: f64, Nullable: true},
		{Name: "retry_count", Type: i64, Nullable: true},
		{Name: "has_max_items_config", Type: bl, Nullable: true},
		{Name: "has_idempotency_key", Type: bl, Nullable: true},
		{Name: "prompt_version", Type: code, Nullable: true},
		{Name: "deployment_timestamp", Type: str, Nullable: true},
		{Name: "is_batch_job", Type: bl, Nullable: true},
		{Name: "is_backfill", Type: bl, Nullable: true},
		{Name: "input_item_count", Type: i64, Nullable: true},
		{Name: "notion_case_id", Type: str, Nullable: true},
		{Name: "owner", Type: code, Nullable: true},
		{Name: "ts_local", Type: &arrow.TimestampType{Unit: arrow.Microsecond}},
	}, nil)
}

// batchBuilder accumulates parsed records into one Arrow record batch of
// rowSchema. It writes each column into a plain Go slice, pre-sized for
// the block's line count, and wraps the slices as Arrow buffers at the
// end: no per-value builder calls or interface conversions, no buffer
// doubling (profiles showed Arrow's builders costing twice the parse).
// One builder serves one block on one goroutine.
type batchBuilder struct {
	schema *arrow.Schema
	n      int
	zone   zoneCache

	lineNo, offset, runHash, ts, tsLocal                   []int64
	ingestSeq                                              []int32
	creditsTotal                                           []float64
	runID, artifactsLink, riskSummary, deploymentTS        strColumn
	notionCaseID                                           strColumn
	scenarioID, scenarioName, jobType, status, model       codeColumn
	severity, misconfig, promptVersion, owner              codeColumn
	creditsIn, creditsOut, baselineExpected, varianceMult  optColumn[float64]
	inputTokens, outputTokens, retryCount, inputItemCount  optColumn[int64]
	hasMaxItems, hasIdempotencyKey, isBatchJob, isBackfill boolColumn
	riskFlagsValid                                         bitmap
	riskFlagsOffsets                                       []int32
	riskFlags                                              strColumn
}

// batchHints carries the text columns' bytes per row from one block to the
// next on the same worker, so their buffers are allocated once.
type batchHints struct {
	bytesPerRow [6]int
	flagsPerRow int
}

// newBatchBuilder returns a builder for up to rows records (a hint: more
// only cost a reallocation) whose ts_local is in loc.
func newBatchBuilder(schema *arrow.Schema, rows int, loc *time.Location, hints *batchHints) *batchBuilder {
	bb := &batchBuilder{schema: schema, zone: zoneCache{loc: loc}}
	if hints == nil {
		hints = &batchHints{}
	}
	ints := make([]int64, 5*rows)
	bb.lineNo, ints = ints[:0:rows], ints[rows:]
	bb.offset, ints = ints[:0:rows], ints[rows:]
	bb.runHash, ints = ints[:0:rows], ints[rows:]
	bb.ts, ints = ints[:0:rows], ints[rows:]
	bb.tsLocal = ints[:0:rows]
	bb.ingestSeq = make([]int32, 0, rows)
	bb.creditsTotal = make([]float64, 0, rows)
	for i, c := range bb.strColumns() {
		c.init(rows, hints.bytesPerRow[i])
	}
	for _, c := range bb.codeColumns() {
		c.init(rows)
	}
	for _, c := range []*optColumn[float64]{&bb.creditsIn, &bb.creditsOut, &bb.baselineExpected, &bb.varianceMult} {
		c.init(rows)
	}
	for _, c := range []*optColumn[int64]{&bb.inputTokens, &bb.outputTokens, &bb.retryCount, &bb.inputItemCount} {
		c.init(rows)
	}
	for _, c := range []*boolColumn{&bb.hasMaxItems, &bb.hasIdempotencyKey, &bb.isBatchJob, &bb.isBackfill} {
		c.init(rows)
	}
	bb.riskFlagsValid.init(rows)
	bb.riskFlagsOffsets = make([]int32, 1, rows+1)
	bb.riskFlags.init(rows*max(hints.flagsPerRow, 1), 16)
	return bb
}

// strColumns lists the text columns stored as text (and the risk flags'
// values), in batchHints order.
func (bb *batchBuilder) strColumns() [6]*strColumn {
	return [6]*strColumn{&bb.runID, &bb.artifactsLink, &bb.riskSummary, &bb.deploymentTS,
		&bb.notionCaseID, &bb.riskFlags}
}

// codeColumns lists the coded text columns in codedColumns order.
func (bb *batchBuilder) codeColumns() [numCoded]*codeColumn {
	return [numCoded]*codeColumn{&bb.scenarioID, &bb.scenarioName, &bb.jobType, &bb.status,
		&bb.model, &bb.severity, &bb.misconfig, &bb.promptVersion, &bb.owner}
}

func (bb *batchBuilder) append(lineNo, offset int64, ingestSeq int32, r *ledger.Record) {
	bb.lineNo = append(bb.lineNo, lineNo)
	bb.offset = append(bb.offset, offset)
	bb.ingestSeq = append(bb.ingestSeq, ingestSeq)
	bb.runID.append(r.RunID)
	bb.runHash = append(bb.runHash, int64(xxh3.HashString(r.RunID)))
	us := r.Timestamp.UnixMicro()
	bb.ts = append(bb.ts, us)
	bb.tsLocal = append(bb.tsLocal, us+bb.zone.offsetSeconds(r.Timestamp)*1e6)
	bb.scenarioID.append(r.ScenarioID)
	bb.scenarioName.append(r.ScenarioName)
	bb.jobType.appendOpt(r.JobType)
	bb.status.appendOpt(r.Status)
	bb.creditsTotal = append(bb.creditsTotal, r.CreditsTotal)
	bb.creditsIn.append(r.CreditsIn)
	bb.creditsOut.append(r.CreditsOut)
	bb.model.appendOpt(r.Model)
	bb.inputTokens.append(r.InputTokens)
	bb.outputTokens.append(r.OutputTokens)
	bb.artifactsLink.appendOpt(r.ArtifactsLink)
	bb.severity.appendOpt(r.Severity)
	bb.riskFlagsValid.append(r.RiskFlags != nil)
	for _, flag := range r.RiskFlags {
		bb.riskFlags.append(flag)
	}
	bb.riskFlagsOffsets = append(bb.riskFlagsOffsets, int32(bb.riskFlags.len()))
	bb.riskSummary.appendOpt(r.RiskSummary)
	bb.misconfig.appendOpt(r.MisconfigLikelihood)
	bb.baselineExpected.append(r.BaselineExpectedCredits)
	bb.varianceMult.append(r.VarianceMultiplier)
	bb.retryCount.append(r.RetryCount)
	bb.hasMaxItems.append(r.HasMaxItemsConfig)
	bb.hasIdempotencyKey.append(r.HasIdempotencyKey)
	bb.promptVersion.appendOpt(r.PromptVersion)
	bb.deploymentTS.appendOpt(r.DeploymentTimestamp)
	bb.isBatchJob.append(r.IsBatchJob)
	bb.isBackfill.append(r.IsBackfill)
	bb.inputItemCount.append(r.InputItemCount)
	bb.notionCaseID.appendOpt(r.NotionCaseID)
	bb.owner.appendOpt(r.Owner)
	bb.n++
}

// finish returns the batch (nil when empty) and records the text columns'
// sizes in hints for the next block.
func (bb *batchBuilder) finish(hints *batchHints) arrow.Record {
	if bb.n == 0 {
		return nil
	}
	if hints != nil {
		for i, c := range bb.strColumns() {
			hints.bytesPerRow[i] = len(c.bytes)/max(c.len(), 1) + 1
		}
		hints.flagsPerRow = bb.riskFlags.len()/bb.n + 1
	}
	str := arrow.BinaryTypes.String
	i64 := arrow.PrimitiveTypes.Int64
	f64 := arrow.PrimitiveTypes.Float64
	ts := bb.schema.Field(bb.schema.FieldIndices("timestamp")[0]).Type
	tsLocal := bb.schema.Field(bb.schema.FieldIndices("ts_local")[0]).Type
	n := bb.n
	flags := bb.riskFlags.data(str, false)
	defer flags.Release()
	riskFlags := array.NewData(bb.schema.Field(bb.schema.FieldIndices("risk_flags")[0]).Type, n,
		[]*memory.Buffer{bb.riskFlagsValid.buffer(), memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(bb.riskFlagsOffsets))},
		[]arrow.ArrayData{flags}, bb.riskFlagsValid.nulls, 0)
	cols := []arrow.ArrayData{
		fixedData(i64, bb.lineNo, nil, 0),
		fixedData(i64, bb.offset, nil, 0),
		fixedData(arrow.PrimitiveTypes.Int32, bb.ingestSeq, nil, 0),
		bb.runID.data(str, false),
		fixedData(i64, bb.runHash, nil, 0),
		fixedData(ts, bb.ts, nil, 0),
		bb.scenarioID.data(false),
		bb.scenarioName.data(false),
		bb.jobType.data(true),
		bb.status.data(true),
		fixedData(f64, bb.creditsTotal, nil, 0),
		bb.creditsIn.data(f64),
		bb.creditsOut.data(f64),
		bb.model.data(true),
		bb.inputTokens.data(i64),
		bb.outputTokens.data(i64),
		bb.artifactsLink.data(str, true),
		bb.severity.data(true),
		riskFlags,
		bb.riskSummary.data(str, true),
		bb.misconfig.data(true),
		bb.baselineExpected.data(f64),
		bb.varianceMult.data(f64),
		bb.retryCount.data(i64),
		bb.hasMaxItems.data(),
		bb.hasIdempotencyKey.data(),
		bb.promptVersion.data(true),
		bb.deploymentTS.data(str, true),
		bb.isBatchJob.data(),
		bb.isBackfill.data(),
		bb.inputItemCount.data(i64),
		bb.notionCaseID.data(str, true),
		bb.owner.data(true),
		fixedData(tsLocal, bb.tsLocal, nil, 0),
	}
	arrays := make([]arrow.Array, len(cols))
	for i, d := range cols {
		arrays[i] = array.MakeFromData(d)
		d.Release()
	}
	rec := array.NewRecord(bb.schema, arrays, int64(n))
	for _, a := range arrays {
		a.Release()
	}
	return rec
}

// fixedData wraps a slice of fixed-width values as an Arrow array of typ.
func fixedData[T uint32 | int32 | int64 | float64](typ arrow.DataType, v []T, valid *memory.Buffer, nulls int) arrow.ArrayData {
	return array.NewData(typ, len(v), []*memory.Buffer{valid, memory.NewBufferBytes(bytesOf(v))}, nil, nulls, 0)
}

// bytesOf reinterprets a slice of fixed-width values as its bytes (Arrow's
// little-endian layout on the platforms DuckDB runs on).
func bytesOf[T uint32 | int32 | int64 | float64](v []T) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), len(v)*int(unsafe.Sizeof(v[0])))
}

// bitmap is an Arrow validity (or boolean) bitmap being appended to.
type bitmap struct {
	bits  []byte
	n     int
	nulls int // unset bits
}

func (m *bitmap) init(rows int) { m.bits = make([]byte, 0, (rows+7)/8) }

func (m *bitmap) append(set bool) {
	if m.n%8 == 0 {
		m.bits = append(m.bits, 0)
	}
	if set {
		m.bits[m.n/8] |= 1 << (m.n % 8)
	} else {
		m.nulls++
	}
	m.n++
}

func (m *bitmap) isSet(i int) bool { return m.bits[i/8]&(1<<(i%8)) != 0 }

// buffer is the bitmap as a validity buffer: nil when nothing is null.
func (m *bitmap) buffer() *memory.Buffer {
	if m.nulls == 0 {
		return nil
	}
	return memory.NewBufferBytes(m.bits)
}

// strColumn is a UTF-8 column: offsets, bytes and (nullable) validity.
type strColumn struct {
	offsets []int32
	bytes   []byte
	valid   bitmap
}

func (c *strColumn) init(rows, bytesPerRow int) {
	c.offsets = make([]int32, 1, rows+1)
	c.bytes = make([]byte, 0, rows*max(bytesPerRow, 8)+rows/8)
	c.valid.init(rows)
}

func (c *strColumn) len() int { return len(c.offsets) - 1 }

func (c *strColumn) append(s string) {
	c.bytes = append(c.bytes, s...)
	c.offsets = append(c.offsets, int32(len(c.bytes)))
}

// appendOpt stores "" as NULL: absent optional text fields are NULL in
// the store, so `WHERE severity IS NULL` finds lines that carried none.
func (c *strColumn) appendOpt(s string) {
	c.valid.append(s != "")
	c.append(s)
}

func (c *strColumn) data(typ arrow.DataType, nullable bool) arrow.ArrayData {
	var valid *memory.Buffer
	nulls := 0
	if nullable {
		valid, nulls = c.valid.buffer(), c.valid.nulls
	}
	return array.NewData(typ, c.len(), []*memory.Buffer{valid,
		memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(c.offsets)), memory.NewBufferBytes(c.bytes)}, nil, nulls, 0)
}

// optColumn is a nullable fixed-width column fed from pointers (nil = NULL).
type optColumn[T int64 | float64] struct {
	values []T
	valid  bitmap
}

func (c *optColumn[T]) init(rows int) {
	c.values = make([]T, 0, rows)
	c.valid.init(rows)
}

func (c *optColumn[T]) append(v *T) {
	c.valid.append(v != nil)
	var x T
	if v != nil {
		x = *v
	}
	c.values = append(c.values, x)
}

func (c *optColumn[T]) data(typ arrow.DataType) arrow.ArrayData {
	return fixedData(typ, c.values, c.valid.buffer(), c.valid.nulls)
}

// boolColumn is a nullable BOOLEAN column: a bitmap of values and one of
// validity.
type boolColumn struct {
	values, valid bitmap
}

func (c *boolColumn) init(rows int) {
	c.values.init(rows)
	c.valid.init(rows)
}

func (c *boolColumn) append(v *bool) {
	c.valid.append(v != nil)
	c.values.append(v != nil && *v)
}

func (c *boolColumn) data() arrow.ArrayData {
	return array.NewData(arrow.FixedWidthTypes.Boolean, c.values.n,
		[]*memory.Buffer{c.valid.buffer(), memory.NewBufferBytes(c.values.bits)}, nil, c.valid.nulls, 0)
}

// zoneCache is the UTC offset of loc over the span of instants around the
// last one asked about, so that consecutive rows (nearly always in the
// same span) skip the zone rules.
type zoneCache struct {
	loc      *time.Location
	from, to int64 // unix seconds, [from, to)
	offset   int64 // seconds east of UTC
	valid    bool
}

// offsetSeconds is loc's UTC offset at t, as localTime applies it.
func (z *zoneCache) offsetSeconds(t time.Time) int64 {
	s := t.Unix()
	if z.valid && s >= z.from && s < z.to {
		return z.offset
	}
	local := t.In(z.loc)
	_, off := local.Zone()
	start, end := local.ZoneBounds()
	z.from, z.to = math.MinInt64, math.MaxInt64
	if !start.IsZero() {
		z.from = start.Unix()
	}
	if !end.IsZero() {
		z.to = end.Unix()
	}
	z.offset, z.valid = int64(off), true
	return z.offset
}
