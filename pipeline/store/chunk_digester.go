package store

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
)

// chunkDigester computes the digests (chunkDigest) of the consecutive
// chunkSize chunks of [0, size) of a file, the last one short, on workers
// that take the chunks in order and can be added to while it runs: a job
// starts digesting its ledger's covered prefix on one core before its
// store is open, and the ingest's append-only check adds the other cores
// (LedgerFile.Prehash). It must not be used after stop or wait.
type chunkDigester struct {
	ctx    context.Context
	cancel context.CancelFunc
	f      *os.File
	size   int64
	n      int64        // chunks
	next   atomic.Int64 // the next chunk a worker takes
	out    []byte       // n digests; chunk i's is written by the worker that took it

	mu      sync.Mutex
	workers int64
	err     error // the first read error
	wg      sync.WaitGroup
}

// startChunkDigester starts digesting [0, size) of f on workers
// goroutines. It stops when ctx ends.
func startChunkDigester(ctx context.Context, f *os.File, size int64, workers int) *chunkDigester {
	d := newChunkDigester(ctx, f, size)
	d.grow(workers)
	return d
}

// startBackgroundDigester starts digesting [0, size) of f on one worker
// that yields to the process's other threads (yieldToOthers): it is to
// use a core the job leaves idle, not to slow what the job does
// meanwhile. grow adds workers that do not yield.
func startBackgroundDigester(ctx context.Context, f *os.File, size int64) *chunkDigester {
	d := newChunkDigester(ctx, f, size)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.n > 0 {
		d.workers++
		d.wg.Add(1)
		go d.work(true)
	}
	return d
}

func newChunkDigester(ctx context.Context, f *os.File, size int64) *chunkDigester {
	ctx, cancel := context.WithCancel(ctx)
	n := (size + chunkSize - 1) / chunkSize
	return &chunkDigester{ctx: ctx, cancel: cancel, f: f, size: size, n: n, out: make([]byte, n*chunkDigestSize)}
}

// grow raises the number of workers to workers, never past one per chunk;
// it never lowers it.
func (d *chunkDigester) grow(workers int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for d.workers < min(int64(workers), d.n) {
		d.workers++
		d.wg.Add(1)
		go d.work(false)
	}
}

func (d *chunkDigester) work(background bool) {
	defer d.wg.Done()
	if background {
		yieldToOthers()
	}
	buf := make([]byte, min(chunkSize, d.size))
	for d.ctx.Err() == nil {
		i := d.next.Add(1) - 1
		if i >= d.n {
			return
		}
		start := i * chunkSize
		end := min(start+chunkSize, d.size)
		if rn, err := d.f.ReadAt(buf[:end-start], start); err != nil && !(err == io.EOF && int64(rn) == end-start) {
			d.fail(fmt.Errorf("read %s at %d: %w", d.f.Name(), start, err))
			return
		}
		sum := chunkDigest(buf[:end-start])
		copy(d.out[i*chunkDigestSize:], sum[:])
	}
}

// fail records the first read error and stops the other workers.
func (d *chunkDigester) fail(err error) {
	d.mu.Lock()
	if d.err == nil {
		d.err = err
	}
	d.mu.Unlock()
	d.cancel()
}

// wait returns the digests once every chunk has one, or the first read
// error, or the context's error when it ended first.
func (d *chunkDigester) wait() ([]byte, error) {
	d.wg.Wait()
	d.mu.Lock()
	err := d.err
	d.mu.Unlock()
	if err == nil {
		err = d.ctx.Err()
	}
	d.cancel()
	if err != nil {
		return nil, err
	}
	return d.out, nil
}

// stop ends the workers and waits for them.
func (d *chunkDigester) stop() {
	d.cancel()
	d.wg.Wait()
}
