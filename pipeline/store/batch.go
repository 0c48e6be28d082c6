package store

import (
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/zeebo/xxh3"

	"github.com/ledgerlens/ledgerlens/pipeline/ledger"
)

// rowSchema is the Arrow schema of a batch of ledger rows; its field names
// are ledger_rows' columns, and batches are inserted BY NAME.
func rowSchema() *arrow.Schema {
	str := arrow.BinaryTypes.String
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
		{Name: "scenario_id", Type: str},
		{Name: "scenario_name", Type: str},
		{Name: "job_type", Type: str, Nullable: true},
		{Name: "status", Type: str, Nullable: true},
		{Name: "credits_total", Type: f64},
		{Name: "credits_in", Type: f64, Nullable: true},
		{Name: "credits_out", Type: f64, Nullable: true},
		{Name: "model", Type: str, Nullable: true},
		{Name: "input_tokens", Type: i64, Nullable: true},
		{Name: "output_tokens", Type: i64, Nullable: true},
		{Name: "artifacts_link", Type: str, Nullable: true},
		{Name: "severity", Type: str, Nullable: true},
		{Name: "risk_flags", Type: arrow.ListOf(str), Nullable: true},
		{Name: "risk_summary", Type: str, Nullable: true},
		{Name: "misconfig_likelihood", Type: str, Nullable: true},
		{Name: "baseline_expected_credits", Type: f64, Nullable: true},
		{Name: "variance_multiplier", Type: f64, Nullable: true},
		{Name: "retry_count", Type: i64, Nullable: true},
		{Name: "has_max_items_config", Type: bl, Nullable: true},
		{Name: "has_idempotency_key", Type: bl, Nullable: true},
		{Name: "prompt_version", Type: str, Nullable: true},
		{Name: "deployment_timestamp", Type: str, Nullable: true},
		{Name: "is_batch_job", Type: bl, Nullable: true},
		{Name: "is_backfill", Type: bl, Nullable: true},
		{Name: "input_item_count", Type: i64, Nullable: true},
		{Name: "notion_case_id", Type: str, Nullable: true},
		{Name: "owner", Type: str, Nullable: true},
		{Name: "ts_local", Type: &arrow.TimestampType{Unit: arrow.Microsecond}},
	}, nil)
}

// batchBuilder accumulates parsed records into one Arrow record batch.
type batchBuilder struct {
	b *array.RecordBuilder
	n int
}

func newBatchBuilder(schema *arrow.Schema) *batchBuilder {
	return &batchBuilder{b: array.NewRecordBuilder(memory.NewGoAllocator(), schema)}
}

func (bb *batchBuilder) append(lineNo, offset int64, ingestSeq int32, r *ledger.Record, loc *time.Location) {
	f := bb.b.Fields()
	i := 0
	next := func() array.Builder { b := f[i]; i++; return b }
	next().(*array.Int64Builder).Append(lineNo)
	next().(*array.Int64Builder).Append(offset)
	next().(*array.Int32Builder).Append(ingestSeq)
	next().(*array.StringBuilder).Append(r.RunID)
	next().(*array.Int64Builder).Append(int64(xxh3.HashString(r.RunID)))
	next().(*array.TimestampBuilder).Append(arrow.Timestamp(r.Timestamp.UnixMicro()))
	next().(*array.StringBuilder).Append(r.ScenarioID)
	next().(*array.StringBuilder).Append(r.ScenarioName)
	appendString(next(), r.JobType)
	appendString(next(), r.Status)
	next().(*array.Float64Builder).Append(r.CreditsTotal)
	appendFloat(next(), r.CreditsIn)
	appendFloat(next(), r.CreditsOut)
	appendString(next(), r.Model)
	appendInt(next(), r.InputTokens)
	appendInt(next(), r.OutputTokens)
	appendString(next(), r.ArtifactsLink)
	appendString(next(), r.Severity)
	lb := next().(*array.ListBuilder)
	if r.RiskFlags == nil {
		lb.AppendNull()
	} else {
		lb.Append(true)
		vb := lb.ValueBuilder().(*array.StringBuilder)
		for _, flag := range r.RiskFlags {
			vb.Append(flag)
		}
	}
	appendString(next(), r.RiskSummary)
	appendString(next(), r.MisconfigLikelihood)
	appendFloat(next(), r.BaselineExpectedCredits)
	appendFloat(next(), r.VarianceMultiplier)
	appendInt(next(), r.RetryCount)
	appendBool(next(), r.HasMaxItemsConfig)
	appendBool(next(), r.HasIdempotencyKey)
	appendString(next(), r.PromptVersion)
	appendString(next(), r.DeploymentTimestamp)
	appendBool(next(), r.IsBatchJob)
	appendBool(next(), r.IsBackfill)
	appendInt(next(), r.InputItemCount)
	appendString(next(), r.NotionCaseID)
	appendString(next(), r.Owner)
	next().(*array.TimestampBuilder).Append(arrow.Timestamp(localTime(r.Timestamp, loc).UnixMicro()))
	bb.n++
}

// finish returns the batch (nil when empty); the builder is then released.
func (bb *batchBuilder) finish() arrow.Record {
	defer bb.b.Release()
	if bb.n == 0 {
		return nil
	}
	return bb.b.NewRecord()
}

// appendString stores "" as NULL: absent optional text fields are NULL in
// the store, so `WHERE severity IS NULL` finds lines that carried none.
func appendString(b array.Builder, v string) {
	sb := b.(*array.StringBuilder)
	if v == "" {
		sb.AppendNull()
		return
	}
	sb.Append(v)
}

func appendFloat(b array.Builder, v *float64) {
	fb := b.(*array.Float64Builder)
	if v == nil {
		fb.AppendNull()
		return
	}
	fb.Append(*v)
}

func appendInt(b array.Builder, v *int64) {
	ib := b.(*array.Int64Builder)
	if v == nil {
		ib.AppendNull()
		return
	}
	ib.Append(*v)
}

func appendBool(b array.Builder, v *bool) {
	bb := b.(*array.BooleanBuilder)
	if v == nil {
		bb.AppendNull()
		return
	}
	bb.Append(*v)
}
