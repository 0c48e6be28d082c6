package ledger

import (
	"syscall"
	"testing"
)

func cpuNow() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func zzRun(b *testing.B, f func(l []byte)) {
	lines := fixtureLines(b)
	var n int64
	for _, l := range lines {
		n += int64(len(l)) + 1
	}
	b.ResetTimer()
	c0 := cpuNow()
	for b.Loop() {
		for _, l := range lines {
			f(l)
		}
	}
	c := cpuNow() - c0
	b.ReportMetric(float64(n)*float64(b.N)/(float64(c)/1e9)/1e6, "cpuMB/s")
}

func BenchmarkZZFull(b *testing.B) { zzRun(b, func(l []byte) { Parse(l) }) }
func BenchmarkZZSlow(b *testing.B) { zzRun(b, func(l []byte) { parseSlow(l) }) }
func BenchmarkZZObject(b *testing.B) {
	zzRun(b, func(l []byte) {
		var bufStore [1024]byte
		p := fastParser{data: l}
		p.object(bufStore[:0])
	})
}
func BenchmarkZZPlainEnd(b *testing.B) {
	zzRun(b, func(l []byte) {
		for i := 0; i < len(l); {
			i = plainEnd(l, i) + 1
		}
	})
}

var sinkS string
var sinkO *optionals

func BenchmarkZZObjectStr(b *testing.B) {
	zzRun(b, func(l []byte) {
		var bufStore [1024]byte
		p := fastParser{data: l}
		buf, _ := p.object(bufStore[:0])
		sinkS = string(buf)
	})
}
func BenchmarkZZObjectStrOpt(b *testing.B) {
	zzRun(b, func(l []byte) {
		var bufStore [1024]byte
		p := fastParser{data: l}
		buf, _ := p.object(bufStore[:0])
		sinkS = string(buf)
		sinkO = &optionals{}
	})
}
func BenchmarkZZTimestamp(b *testing.B) {
	zzRun(b, func(l []byte) {
		parseTimestamp("2026-01-05T00:09:58Z")
	})
}
func BenchmarkZZNoSink(b *testing.B) {
	zzRun(b, func(l []byte) {
		var r Record
		parseFast(l, &r)
	})
}
