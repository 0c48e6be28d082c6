package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/blake3"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
)

// chunkSize is the granularity of the append-only check: the store keeps
// one digest per chunk of the covered ledger prefix, so the check hashes
// chunks on all cores and names the first and last changed chunk.
const chunkSize = 1 << 20

// Chunk digests are BLAKE3-256 (docs/RULES.md, "Inputs" allows SHA-256 or BLAKE3): the
// warm job re-hashes the whole covered prefix, and BLAKE3 does that about
// four times as fast per core as SHA-256 with the CPU's SHA extensions. The
// digest of the whole ledger that reports carry stays SHA-256.
const chunkDigestSize = blake3.Size

// chunkDigest is the BLAKE3-256 digest of b, one chunk of a file (or less),
// computed on the calling goroutine: the callers hash one chunk on each
// core.
func chunkDigest(b []byte) [chunkDigestSize]byte {
	return blake3.Sum256(b)
}

// chunkHasher turns a byte stream that starts at a chunk boundary into the
// digests of consecutive chunkSize-byte chunks.
type chunkHasher struct {
	digests []byte // complete chunks, 32 bytes each
	// cur holds the bytes of the chunk under way, which the stream has not
	// completed yet.
	cur []byte
}

func newChunkHasher(completeDigests []byte) *chunkHasher {
	return &chunkHasher{digests: completeDigests, cur: make([]byte, 0, chunkSize)}
}

func (h *chunkHasher) Write(p []byte) {
	if len(h.cur) > 0 {
		n := min(chunkSize-len(h.cur), len(p))
		h.cur = append(h.cur, p[:n]...)
		p = p[n:]
		if len(h.cur) < chunkSize {
			return
		}
		h.append(h.cur)
		h.cur = h.cur[:0]
	}
	for len(p) >= chunkSize {
		h.append(p[:chunkSize])
		p = p[chunkSize:]
	}
	h.cur = append(h.cur, p...)
}

func (h *chunkHasher) append(chunk []byte) {
	sum := chunkDigest(chunk)
	h.digests = append(h.digests, sum[:]...)
}

// result is the digests of all chunks, the last one short when the stream
// did not end on a chunk boundary.
func (h *chunkHasher) result() []byte {
	out := bytes.Clone(h.digests)
	if len(h.cur) > 0 {
		sum := chunkDigest(h.cur)
		out = append(out, sum[:]...)
	}
	return out
}

// prefixCheck is the outcome of comparing the ledger with the stored digests.
type prefixCheck struct {
	intact bool
	// modified byte range [from, to) when !intact.
	from, to int64
	// prehashed: the digests compared were LedgerFile.Prehash's.
	prehashed bool
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

// startPrefixCheck starts checking the prefix state covers against f,
// finishing pre's digests when pre is not nil (checkPrefix). The caller
// must call stop before closing f.
func startPrefixCheck(ctx context.Context, f *os.File, size int64, state ledgerState, pre *chunkDigester) *pendingCheck {
	ctx, cancel := context.WithCancel(ctx)
	c := &pendingCheck{done: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(c.done)
		began := time.Now()
		c.res, c.err = checkPrefix(ctx, f, size, state.covered, state.digests, pre)
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
// than covered is modified from its end. pre, when not nil, is a
// digester already at work on f (LedgerFile.Prehash): checkPrefix adds
// the other cores to it and uses its digests when it digests [0, covered)
// of a file at least that long and met no read error; otherwise it stops
// it and hashes f itself.
func checkPrefix(ctx context.Context, f *os.File, size, covered int64, want []byte, pre *chunkDigester) (prefixCheck, error) {
	if pre != nil {
		defer pre.stop()
		if pre.size != covered || size < covered {
			pre = nil // not this check's digests: the deferred stop ends it
		}
	}
	if covered == 0 {
		return prefixCheck{intact: true}, nil
	}
	nChunks := int((covered + chunkSize - 1) / chunkSize)
	if len(want) != nChunks*chunkDigestSize {
		// checkState refuses such a store first; this guards the indexing.
		return prefixCheck{}, fmt.Errorf("stored digest list has %d bytes, want %d", len(want), nChunks*chunkDigestSize)
	}
	// Truncated: whatever remains is checked too, so the reported range
	// starts at the first changed chunk, not merely at the new end.
	var got []byte
	var err error
	if pre != nil {
		// The check's end (its context's) ends the digester too.
		unhook := context.AfterFunc(ctx, pre.cancel)
		pre.grow(runtime.GOMAXPROCS(0))
		got, err = pre.wait()
		unhook()
		if err != nil && ctx.Err() == nil {
			// A read that failed before the ingest began (the file
			// briefly shorter, say) is not this check's: it reads again.
			got, err = nil, nil
			pre = nil
		}
	}
	if pre == nil {
		got, err = fileChunkDigests(ctx, f, min(size, covered))
	}
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
	res := prefixCheck{intact: true, from: -1, prehashed: pre != nil}
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

// chunkDigestsEdited tells a changed prefix (c, not intact) from an edit
// of the store's chunk digests: it hashes the ledger's first state.covered
// bytes with SHA-256, and when they still give state.prefixSHA — the digest
// the store recorded of them, held to the caller's record by recorded
// (Store.RecordedPrefix; nil believes the store) — the ledger is as it was
// loaded, and the chunk digests are what changed. It returns an error
// wrapping ErrStateEdited then, and nil when the ledger did change (or is
// shorter than covered), so that a store edit is not recorded as a ledger
// modification, nor a ledger modification as a store edit.
func chunkDigestsEdited(ctx context.Context, f *os.File, size int64, state ledgerState, c prefixCheck, recorded func(int64, string) bool) error {
	if c.intact || state.prefixSHA == "" || size < state.covered {
		return nil
	}
	if recorded != nil && !recorded(state.covered, state.prefixSHA) {
		return nil
	}
	h := sha256.New()
	if _, err := io.Copy(h, inputs.ContextReader(ctx, io.NewSectionReader(f, 0, state.covered))); err != nil {
		return fmt.Errorf("hash the ledger's first %d bytes: %w", state.covered, err)
	}
	if hex.EncodeToString(h.Sum(nil)) != state.prefixSHA {
		return nil
	}
	return fmt.Errorf("its digests of the ledger's chunks (ledger_state.chunk_digests) say bytes %d–%d changed, but the ledger's first %d bytes still hash to the SHA-256 it records of them (%s): %w",
		c.from, c.to, state.covered, state.prefixSHA, ErrStateEdited)
}

// fileChunkDigests returns the digests (chunkDigest) of the consecutive
// chunkSize chunks of [0, size) of f, the last one short, read and hashed
// on all cores. It stops when ctx ends.
func fileChunkDigests(ctx context.Context, f *os.File, size int64) ([]byte, error) {
	return startChunkDigester(ctx, f, size, runtime.GOMAXPROCS(0)).wait()
}
