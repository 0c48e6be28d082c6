package job

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/store"
)

// A store seal lets a job skip reading back rows an earlier job already
// vouched for. At the end of every job that opened the store (after
// closing it), the job records store_sealed: the fingerprints
// (store.FileFingerprint) of the store file and of its write-ahead log
// (taken while the job renders, when its work
// calls PrepareSeal), and the chunks whose rows the job loaded
// itself or checked against their recorded digests, plus those it trusted
// from the seal before it. The job's signed checkpoint then covers the
// seal.
//
// The next job trusts those chunks only if
//   - the seal lies within the signed prefix of the audit log (an entry
//     appended after the newest signed checkpoint vouches for nothing),
//   - no ingest was recorded after it (a job that touched the store and
//     did not finish), and
//   - the store's files, hashed before the store is opened, are byte for
//     byte what the seal recorded.
//
// Both hashes read the files through the job's handle on the store's
// directory (store.Dir), the one the engine opens them through, in a
// directory nobody but the account can write: the bytes hashed are the
// bytes the engine reads and wrote, whatever is put at the directory's
// path meanwhile (docs/COMPLIANCE.md, "The store's directory").
//
// Anything else — an edited store, a killed job, an older log — falls back
// to reading back every chunk the period reads. A chunk the sealing job
// neither loaded nor checked is never carried: an edit made before that
// job, in rows it did not read, stays detectable by the first job that
// reads them (docs/COMPLIANCE.md).

// storeFingerprint is the fingerprint (store.FileFingerprint) of the store
// file and of its write-ahead log ("" when there is none).
func (j *Job) storeFingerprint(ctx context.Context) (db, wal string, err error) {
	path := j.storeDir.Path(store.FileName)
	if db, err = store.FileFingerprint(ctx, path); err != nil {
		return "", "", err
	}
	wal, err = store.FileFingerprint(ctx, path+".wal")
	if errors.Is(err, fs.ErrNotExist) {
		return db, "", nil
	}
	return db, wal, err
}

// trustedChunks returns the chunks the newest signed store seal vouches
// for, when the store's files are still the ones it sealed; nil otherwise.
// It must run before the store is opened: a writable open changes the
// files. A cancelled ctx trusts nothing.
func (j *Job) trustedChunks(ctx context.Context) map[int64]bool {
	if j.trail == nil {
		return nil
	}
	entries := j.trail.state.Entries
	var seal *audit.Entry
	for i := len(entries) - 1; i >= 0 && seal == nil; i-- {
		switch entries[i].Event {
		case audit.EventIngest:
			return nil // the store was touched after the newest seal
		case audit.EventStoreSealed:
			if int64(i) >= j.trail.signedSize {
				return nil // not covered by a signed checkpoint
			}
			seal = &entries[i]
		}
	}
	if seal == nil {
		return nil
	}
	// A seal made before the store had a directory of its own vouches
	// for files that lay where others could write them (a descriptor
	// kept on them then still reaches them if a job's adoption of them
	// was cut short): the first job in the directory reads back, once.
	if seal.Fields["store_dir"] != true {
		return nil
	}
	db, wal, err := j.storeFingerprint(ctx)
	// A seal from before fingerprints (store_sha256) matches nothing: that
	// job reads back, once.
	if err != nil || db != seal.Fields["store_fingerprint"] || wal != seal.Fields["wal_fingerprint"] {
		return nil
	}
	return chunkSet(seal.Fields["verified_chunks"])
}

// earlySeal is a store fingerprint taken in the background while the job
// still runs (PrepareSeal), with the state of the store's files before it
// was taken.
type earlySeal struct {
	done    chan struct{}
	before  [2]os.FileInfo
	db, wal string
	err     error
}

// PrepareSeal starts hashing the store's files for the seal in the
// background, so that the hashing overlaps the job's remaining work (a
// store of ten million runs takes more than half a second). The work
// calls it once it will not write the store again; it may still read it.
// sealStore uses the result only if the files' size and modification time
// are still what they were when the hashing started, and hashes them again
// otherwise: a seal that does not match the files makes the next job read
// the store back, it never makes it trust more. The hashing stops when ctx
// ends; the seal then hashes the files itself.
func (j *Job) PrepareSeal(ctx context.Context) {
	if !j.storeOpened || j.early != nil {
		return
	}
	e := &earlySeal{done: make(chan struct{}), before: j.storeFileStates()}
	j.early = e
	go func() {
		defer close(e.done)
		e.db, e.wal, e.err = j.storeFingerprint(ctx)
	}()
}

// storeFileStates stats the store file and its write-ahead log (nil for
// one that does not exist or cannot be read).
func (j *Job) storeFileStates() [2]os.FileInfo {
	path := j.storeDir.Path(store.FileName)
	var out [2]os.FileInfo
	for i, p := range []string{path, path + ".wal"} {
		if fi, err := os.Stat(p); err == nil {
			out[i] = fi
		}
	}
	return out
}

// unchanged reports whether two file states are the same file at the same
// size and modification time, or both absent.
func unchanged(a, b os.FileInfo) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

// sealFingerprint is the store fingerprint for the seal: PrepareSeal's
// when the files have not changed since, else taken now.
func (j *Job) sealFingerprint(ctx context.Context) (db, wal string, err error) {
	if e := j.early; e != nil {
		<-e.done
		now := j.storeFileStates()
		if e.err == nil && unchanged(e.before[0], now[0]) && unchanged(e.before[1], now[1]) {
			return e.db, e.wal, nil
		}
		j.env.Log.Debug("store files changed after the seal was prepared; hashing them again")
	}
	return j.storeFingerprint(ctx)
}

// sealStore records the store seal at the end of a job that opened the
// store (which its work has closed by then). It seals nothing, and
// returns the problem, when the store's directory no longer passes its
// open's checks (a file the engine created that others can write): the
// seal would vouch for bytes someone else could have written.
func (j *Job) sealStore(ctx context.Context) (problem string, err error) {
	if err := j.storeDir.Recheck(); errors.Is(err, store.ErrUnsafeDir) {
		return err.Error() + " (found at the job's end: the store was not sealed)", nil
	} else if err != nil {
		return "", fmt.Errorf("seal store: %w", err)
	}
	db, wal, err := j.sealFingerprint(ctx)
	if err != nil {
		return "", fmt.Errorf("seal store: %w", err)
	}
	verified := map[int64]bool{}
	for c := range j.trusted {
		verified[c] = true
	}
	for c := range j.chunkRefs {
		verified[c] = true
	}
	for c := range j.checked {
		verified[c] = true
	}
	return "", j.Audit(ctx, audit.EventStoreSealed, map[string]any{
		"store_fingerprint": db, "wal_fingerprint": wal, "store_dir": true,
		"verified_chunks": chunkRanges(verified), "read_back_chunks": j.readBack,
	})
}

// chunkRanges lists a chunk set as sorted, inclusive [first, last] ranges.
func chunkRanges(set map[int64]bool) [][2]int64 {
	chunks := make([]int64, 0, len(set))
	for c := range set {
		chunks = append(chunks, c)
	}
	slices.Sort(chunks)
	out := [][2]int64{}
	for _, c := range chunks {
		if n := len(out); n > 0 && out[n-1][1]+1 == c {
			out[n-1][1] = c
			continue
		}
		out = append(out, [2]int64{c, c})
	}
	return out
}

// chunkSet reads chunkRanges back from an audit field.
func chunkSet(v any) map[int64]bool {
	ranges, _ := v.([]any)
	set := map[int64]bool{}
	for _, r := range ranges {
		pair, _ := r.([]any)
		if len(pair) != 2 {
			return nil
		}
		from, ok1 := pair[0].(json.Number)
		to, ok2 := pair[1].(json.Number)
		a, err1 := from.Int64()
		b, err2 := to.Int64()
		if !ok1 || !ok2 || err1 != nil || err2 != nil || b < a {
			return nil
		}
		for c := a; c <= b; c++ {
			set[c] = true
		}
	}
	return set
}

// StoreAccessProblems lists what keeps the account running ledgerlens
// from writing the store, when that account runs the jobs: it owns the
// store's directory and may read the signing key, which no auditor is
// given. The directory, the store file or its write-ahead log not
// writable by it (a chmod, a restore as another mode) stops every job,
// while verify all, which only reads, said OK (an outside review). An
// auditor's own copy, made read-only, is no store a job writes (a false
// alarm when ownership alone decided: a third review); neither is a root
// without a key, where nothing tells the jobs' account apart.
func StoreAccessProblems(l inputs.Layout) []string {
	fi, err := os.Stat(l.StoreDir)
	if err != nil {
		return nil
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); !ok || int(st.Uid) != os.Geteuid() {
		return nil
	}
	if !mayReadSigningKey(l) {
		return nil
	}
	var problems []string
	for _, c := range []struct {
		path string
		mode uint32
	}{{l.StoreDir, unix.W_OK | unix.X_OK}, {l.StoreFile, unix.R_OK | unix.W_OK}, {l.StoreFile + ".wal", unix.R_OK | unix.W_OK}} {
		fi, err := os.Stat(c.path)
		if err != nil {
			continue // missing: the next job makes it
		}
		// A read-only mount is a snapshot being verified, where no job
		// runs (a false alarm: a review of this stop's fixes).
		if err := unix.Faccessat(unix.AT_FDCWD, c.path, c.mode, unix.AT_EACCESS); err != nil && !errors.Is(err, unix.EROFS) {
			problems = append(problems, fmt.Sprintf("store %s (mode %04o) cannot be written by the account that owns the store's directory and runs the jobs (this one): every job stops on it; give it back (files 0600 in a 0700 directory)",
				l.Rel(c.path), fi.Mode().Perm()))
		}
	}
	return problems
}
