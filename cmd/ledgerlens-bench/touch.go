package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"syscall"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/hugepages"
)

// touchResult is one `ledgerlens-bench touch` measurement.
type touchResult struct {
	MiB        int     `json:"mib"`
	HugePages  bool    `json:"huge_pages_advised"`
	FirstMS    float64 `json:"first_touch_ms"`
	SecondMS   float64 `json:"second_touch_ms"`
	PerGiBMS   float64 `json:"first_touch_ms_per_gib"`
	KernelMode string  `json:"transparent_hugepages"`
}

// cmdTouch measures what the host charges for memory a process touches
// for the first time (BENCHMARKS.md, "The host's first touches"): it
// maps -mib MiB of anonymous memory (advised MADV_HUGEPAGE with -huge),
// writes one byte per 4 KiB page, then writes them all again, and prints
// both times as JSON. On a host that hands its free memory back to the
// hypervisor the first pass costs far more than the second, and varies
// from one run to the next; a job pays the first for all the memory it
// uses.
func cmdTouch(_ context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("touch", flag.ContinueOnError)
	mib := fs.Int("mib", 512, "how much memory to touch, in MiB")
	huge := fs.Bool("huge", false, "advise MADV_HUGEPAGE on the mapping first")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if *mib <= 0 || fs.NArg() > 0 {
		return usageError{"touch: -mib must be positive, and there are no arguments"}
	}
	mem, err := syscall.Mmap(-1, 0, *mib<<20, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return fmt.Errorf("touch: map %d MiB: %w", *mib, err)
	}
	defer syscall.Munmap(mem)
	if *huge {
		if err := syscall.Madvise(mem, syscall.MADV_HUGEPAGE); err != nil {
			return fmt.Errorf("touch: advise huge pages: %w", err)
		}
	}
	pass := func(v byte) time.Duration {
		start := time.Now()
		for i := 0; i < len(mem); i += 4096 {
			mem[i] = v
		}
		return time.Since(start)
	}
	first, second := pass(1), pass(2)
	ms := func(d time.Duration) float64 { return round3(float64(d.Microseconds()) / 1000) }
	res := touchResult{MiB: *mib, HugePages: *huge, FirstMS: ms(first), SecondMS: ms(second),
		PerGiBMS:   round3(ms(first) * 1024 / float64(*mib)),
		KernelMode: hugepages.KernelMode()}
	return json.NewEncoder(stdout).Encode(res)
}
