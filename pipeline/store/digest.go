package store

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/zeebo/blake3"
)

// chunkSize is the granularity of the append-only check: the store keeps
// one digest per chunk of the covered ledger prefix, so the check hashes
// chunks on all cores and names the first and last changed chunk.
const chunkSize = 1 << 20

// Chunk digests are BLAKE3-256 (docs/RULES.md, "Inputs" allows SHA-256 or BLAKE3): the
// warm job re-hashes the whole covered prefix, and BLAKE3 does that about
// twice as fast per core as SHA-256 with the CPU's SHA extensions. The
// digest of the whole ledger that reports carry stays SHA-256.
const chunkDigestSize = 32

func chunkDigest(b []byte) [chunkDigestSize]byte { return blake3.Sum256(b) }

// chunkHasher turns a byte stream that starts at a chunk boundary into the
// digests of consecutive chunkSize-byte chunks.
type chunkHasher struct {
	digests []byte // complete chunks, 32 bytes each
	cur     hashWriter
	curLen  int
}

type hashWriter interface {
	io.Writer
	Sum([]byte) []byte
	Reset()
}

func newChunkHasher(completeDigests []byte) *chunkHasher {
	return &chunkHasher{digests: completeDigests, cur: blake3.New()}
}

func (h *chunkHasher) Write(p []byte) {
	for len(p) > 0 {
		n := min(chunkSize-h.curLen, len(p))
		h.cur.Write(p[:n])
		h.curLen += n
		p = p[n:]
		if h.curLen == chunkSize {
			h.digests = h.cur.Sum(h.digests)
			h.cur.Reset()
			h.curLen = 0
		}
	}
}

// result is the digests of all chunks, the last one short when the stream
// did not end on a chunk boundary.
func (h *chunkHasher) result() []byte {
	out := bytes.Clone(h.digests)
	if h.curLen > 0 {
		out = h.cur.Sum(out)
	}
	return out
}

// prefixCheck is the outcome of comparing the ledger with the stored digests.
type prefixCheck struct {
	intact bool
	// modified byte range [from, to) when !intact.
	from, to int64
}

// pendingCheck is an append-only check (checkPrefix) running in the
// background while the ingest loads the appended bytes.
type pendingCheck struct {
	done   chan struct{}
	cancel context.CancelFunc
	res    prefixCheck
	err    error
	took   time.Duration // the check's own time, overlapping the load
}

// startPrefixCheck starts checking the prefix state covers against f.
// The caller must call stop before closing f.
func startPrefixCheck(ctx context.Context, f *os.File, size int64, state ledgerState) *pendingCheck {
	ctx, cancel := context.WithCancel(ctx)
	c := &pendingCheck{done: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(c.done)
		began := time.Now()
		c.res, c.err = checkPrefix(ctx, f, size, state.covered, state.digests)
		c.took = time.Since(began)
	}()
	return c
}

// wait returns the check's outcome once it is known.
func (c *pendingCheck) wait() (prefixCheck, error) {
	<-c.done
	return c.res, c.err
}

// stop cancels the check if it still runs and waits for it to end.
func (c *pendingCheck) stop() {
	c.cancel()
	<-c.done
}

// checkPrefix re-hashes [0, covered) of f in chunks, in parallel, and
// compares with want (the digests saved by the last ingest). A file shorter
// than covered is modified from its end.
func checkPrefix(ctx context.Context, f *os.File, size, covered int64, want []byte) (prefixCheck, error) {
	if covered == 0 {
		return prefixCheck{intact: true}, nil
	}
	nChunks := int((covered + chunkSize - 1) / chunkSize)
	if len(want) != nChunks*chunkDigestSize {
		return prefixCheck{}, fmt.Errorf("stored digest list has %d bytes, want %d", len(want), nChunks*chunkDigestSize)
	}
	// Truncated: whatever remains is checked too, so the reported range
	// starts at the first changed chunk, not merely at the new end.
	got, err := fileChunkDigests(ctx, f, min(size, covered))
	if err != nil {
		return prefixCheck{}, err
	}
	bad := make([]bool, len(got)/chunkDigestSize)
	for i := range bad {
		start := int64(i) * chunkSize
		// A chunk cut short by truncation never matches a full digest.
		short := min(start+chunkSize, size) < min(start+chunkSize, covered)
		bad[i] = short || !bytes.Equal(got[i*chunkDigestSize:(i+1)*chunkDigestSize], want[i*chunkDigestSize:(i+1)*chunkDigestSize])
	}
	res := prefixCheck{intact: true, from: -1}
	for i, b := range bad {
		if !b {
			continue
		}
		start := int64(i) * chunkSize
		if res.intact {
			res.intact, res.from = false, start
		}
		res.to = min(start+chunkSize, covered)
	}
	if size < covered {
		if res.intact {
			res.intact, res.from = false, size
		}
		res.to = covered
	}
	return res, nil
}

// fileChunkDigests returns the digests (chunkDigest) of the consecutive
// chunkSize chunks of [0, size) of f, the last one short, read and hashed
// on all cores. It stops when ctx ends.
func fileChunkDigests(ctx context.Context, f *os.File, size int64) ([]byte, error) {
	n := (size + chunkSize - 1) / chunkSize
	out := make([]byte, n*chunkDigestSize)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		next     = make(chan int64)
	)
	for range min(int64(runtime.GOMAXPROCS(0)), max(n, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, chunkSize)
			for i := range next {
				start := i * chunkSize
				end := min(start+chunkSize, size)
				if rn, err := f.ReadAt(buf[:end-start], start); err != nil && !(err == io.EOF && int64(rn) == end-start) {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("read %s at %d: %w", f.Name(), start, err)
					}
					mu.Unlock()
					continue
				}
				sum := chunkDigest(buf[:end-start])
				copy(out[i*chunkDigestSize:], sum[:])
			}
		}()
	}
	for i := int64(0); i < n && ctx.Err() == nil; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, firstErr
}
