package review

import (
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// poisoningAllocator overwrites every buffer it frees, as a C allocator
// reusing the memory of a released DuckDB batch may: a string still
// pointing into a freed batch then reads 0xff bytes instead of its text.
type poisoningAllocator struct{ memory.GoAllocator }

func (p *poisoningAllocator) Free(b []byte) {
	for i := range b {
		b[i] = 0xff
	}
	p.GoAllocator.Free(b)
}

// TestTransitionsByScenarioOutlivesItsBatches feeds transitionsByScenario
// batches that are poisoned as the reader moves past them, with a
// scenario's rows spread over several batches and repeated within one.
// A scenario id kept as a map key straight from its batch is lost once
// the batch is freed: its later rows then look like a new scenario, or
// its events are not found (the reliability section lost scenarios at ten
// million runs this way).
func TestTransitionsByScenarioOutlivesItsBatches(t *testing.T) {
	alloc := &poisoningAllocator{}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "scenario_id", Type: arrow.BinaryTypes.String},
		{Name: "timestamp", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
		{Name: "status", Type: arrow.BinaryTypes.String},
	}, nil)
	start := time.Date(2026, 2, 23, 0, 0, 0, 0, time.UTC)
	type row struct {
		scenario string
		minute   int
		status   string
	}
	batches := [][]row{
		{{"SCENARIO_A", 1, "Failed"}, {"SCENARIO_A", 2, "Success"}, {"SCENARIO_A", 3, "Failed"}},
		{{"SCENARIO_A", 4, "Success"}, {"SCENARIO_B", 5, "Failed"}},
		{{"SCENARIO_B", 6, "Success"}, {"SCENARIO_A", 7, "Failed"}},
	}
	var recs []arrow.Record
	for _, b := range batches {
		rb := array.NewRecordBuilder(alloc, schema)
		for _, r := range b {
			rb.Field(0).(*array.StringBuilder).Append(r.scenario)
			rb.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(start.Add(time.Duration(r.minute) * time.Minute).UnixMicro()))
			rb.Field(2).(*array.StringBuilder).Append(r.status)
		}
		recs = append(recs, rb.NewRecord())
		rb.Release()
	}
	rdr, err := array.NewRecordReader(schema, recs)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		r.Release() // the reader holds the only reference: each batch is freed as it moves on
	}
	defer rdr.Release()

	order, series, err := transitionsByScenario(rdr)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"SCENARIO_A", "SCENARIO_B"}; !slices.Equal(order, want) {
		t.Fatalf("scenarios %q, want %q", order, want)
	}
	want := map[string][]int{"SCENARIO_A": {1, 2, 3, 4, 7}, "SCENARIO_B": {5, 6}}
	for k, id := range order {
		var minutes []int
		for _, e := range series[k] {
			minutes = append(minutes, int(e.At.Sub(start)/time.Minute))
			if e.Status != "Failed" && e.Status != "Success" {
				t.Errorf("%s: status %q read from a freed batch", id, e.Status)
			}
		}
		if !slices.Equal(minutes, want[id]) {
			t.Errorf("%s: events at minutes %v, want %v", id, minutes, want[id])
		}
	}
}
