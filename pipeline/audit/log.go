package audit

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/atomicfile"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
)

// ErrCorrupt marks a log whose tail is not a valid continuation of the
// chain; Open and Append refuse to extend it. Callers report it as tampering.
var ErrCorrupt = errors.New("audit log is corrupt")

// maxTail bounds how far back Open reads to find the last two entries.
const maxTail = 64 << 20

// Log appends entries to one audit log file. Its methods are safe for
// concurrent use within a process; across processes the caller must hold the
// state directory's lock.
type Log struct {
	path string
	now  func() time.Time
	sign func([]byte) []byte // nil: entries are appended unsigned

	mu   sync.Mutex
	seq  int64
	hash string
	size int64 // file size the head was learned at

	// broken is why this Log vouches for no more entries: its last line
	// landed after another process's (landedAfter). Append and Checked
	// return it.
	broken error

	// beforeWrite, when set, runs in Append between learning the file's
	// size and writing: tests put another writer there.
	beforeWrite func()
}

// Open prepares appending to the log at path. A missing or empty file is a
// valid empty log (head 0, ZeroHash); the file and its directory are created
// on the first Append. Open reads only the last two entries (seeking from the
// end), checks that the last one is intact and chains to the one before, and
// refuses (ErrCorrupt) otherwise. now stamps entries; nil means time.Now.
func Open(path string, now func() time.Time) (*Log, error) {
	if now == nil {
		now = time.Now
	}
	l := &Log{path: path, now: now, hash: ZeroHash}
	f, err := inputs.OpenRegular(path)
	if errors.Is(err, fs.ErrNotExist) {
		return l, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	if err := l.loadHead(f, st.Size()); err != nil {
		return nil, err
	}
	return l, nil
}

// Log returns a Log that appends to the log s was loaded from, with s's
// verified head as its own: whatever the file gained since s was read is
// checked at the next Append (checkGained, when the Log signs) rather
// than taken for the head. A job opens its log this way from the state it
// verified: a second read of the file took an entry appended without the
// key in between for the head, chained onto it, and the job's checkpoint
// vouched for it (an outside review). s must hold an unbroken chain.
func (s *State) Log(now func() time.Time) (*Log, error) {
	if !s.Chain.OK() {
		return nil, fmt.Errorf("audit log %s: refusing to append: %w (run 'ledgerlens audit verify' for details)", s.Path, s.Chain.Err())
	}
	if now == nil {
		now = time.Now
	}
	return &Log{path: s.Path, now: now, seq: s.Chain.HeadSeq, hash: s.Chain.HeadHash, size: int64(len(s.verified))}, nil
}

// SignWith makes Append sign every entry it writes: sign must return the
// Ed25519 signature of its argument (EntrySigningMessage of the entry's
// hash) by the root's signing key. A log without it appends unsigned
// entries, which a verifier holding the root's public key accepts only
// where a signed checkpoint covers them (docs/COMPLIANCE.md, "Integrity").
func (l *Log) SignWith(sign func([]byte) []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sign = sign
}

// Path returns the log file's path.
func (l *Log) Path() string { return l.path }

// Head returns the last entry's seq and hash (0 and ZeroHash when empty).
func (l *Log) Head() (seq int64, hash string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seq, l.hash
}

// Append writes one entry for event with fields and returns it. The line is
// written with a single write(2) on an O_APPEND descriptor and fsynced
// before Append returns. A line that landed after bytes another process
// appended in the meantime does not chain onto them: that is ErrCorrupt,
// from this Append and every later one (landedAfter). fields must not
// use the reserved keys (seq, time, event, prev, hash, sig) and must
// encode as JSON.
func (l *Log) Append(ctx context.Context, event string, fields map[string]any) (Entry, error) {
	if err := ctx.Err(); err != nil {
		return Entry{}, fmt.Errorf("audit %s: %w", event, err)
	}
	if event == "" {
		return Entry{}, errors.New("audit: empty event name")
	}
	for k := range fields {
		if isReserved(k) {
			return Entry{}, fmt.Errorf("audit %s: field %q is reserved", event, k)
		}
	}
	norm, err := normalize(fields)
	if err != nil {
		return Entry{}, fmt.Errorf("audit %s: %w", event, err)
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	if l.broken != nil {
		return Entry{}, l.broken
	}

	f, err := l.openForAppend()
	if err != nil {
		return Entry{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Entry{}, fmt.Errorf("audit log %s: %w", l.path, err)
	}
	size := st.Size()
	if err := l.catchUp(f, size); err != nil {
		return Entry{}, err
	}

	e := Entry{
		Seq:    l.seq + 1,
		Time:   l.now().UTC().Format(time.RFC3339Nano),
		Event:  event,
		Fields: norm,
		Prev:   l.hash,
	}
	if e.Hash, err = e.ComputeHash(); err != nil {
		return Entry{}, err
	}
	if l.sign != nil {
		e.Sig = base64.StdEncoding.EncodeToString(l.sign(EntrySigningMessage(e.Hash)))
	}
	line, err := e.MarshalJSON()
	if err != nil {
		return Entry{}, err
	}
	line = append(line, '\n')
	if l.beforeWrite != nil {
		l.beforeWrite()
	}
	n, err := f.Write(line)
	// An O_APPEND write leaves the offset at the end of what it wrote:
	// the line landed at end-n, which is size unless another process
	// appended since the size was learned.
	end, serr := f.Seek(0, io.SeekCurrent)
	at := end - int64(n)
	if err != nil || n != len(line) {
		// Best effort: take back a torn line so the log stays appendable,
		// but only this line, and only while it ends the file.
		if fi, ferr := f.Stat(); serr == nil && at == size && ferr == nil && fi.Size() == end {
			_ = f.Truncate(size)
		}
		if err == nil {
			err = io.ErrShortWrite
		}
		return Entry{}, fmt.Errorf("audit log %s: append %s: %w", l.path, event, err)
	}
	if serr != nil {
		return Entry{}, fmt.Errorf("audit log %s: append %s: %w", l.path, event, serr)
	}
	if at != size {
		l.broken = l.landedAfter(f, at, e)
		return Entry{}, l.broken
	}
	if err := f.Sync(); err != nil {
		// The line may or may not be durable; l.size stays behind so the next
		// Append re-reads the head from the file.
		return Entry{}, fmt.Errorf("audit log %s: fsync after %s: %w", l.path, event, err)
	}
	if size == 0 {
		if err := atomicfile.SyncDir(filepath.Dir(l.path)); err != nil {
			return Entry{}, fmt.Errorf("audit log %s: %w", l.path, err)
		}
	}
	l.seq, l.hash, l.size = e.Seq, e.Hash, size+int64(len(line))
	return e, nil
}

// Checked returns how many entries of the log this Log vouches for, and
// the hash of the last of them: those it wrote, and those another writer
// appended that pass the check Append makes of them (checkGained, when the
// Log signs). A job signs its closing checkpoint over that many entries,
// not over the file as it is by then, and only if the last of them, read
// afresh, still has that hash, which the chain ties every earlier entry
// to: an entry appended without the key after the job's last one is left
// outside the checkpoint, and lines rewritten in place at the same length
// (which no size tells) are refused (an outside review).
func (l *Log) Checked() (int64, string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.broken != nil {
		return 0, "", l.broken
	}
	f, err := inputs.OpenRegular(l.path)
	if errors.Is(err, fs.ErrNotExist) && l.size == 0 {
		return 0, ZeroHash, nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("audit log %s: %w", l.path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, "", fmt.Errorf("audit log %s: %w", l.path, err)
	}
	if err := l.catchUp(f, st.Size()); err != nil {
		return 0, "", err
	}
	return l.seq, l.hash, nil
}

// catchUp learns the head of a file of the given size when someone else
// appended (or the file was replaced) since this Log learned it: it
// chains onto what is really there, never onto a stale head. A signing
// log chains only onto entries its key signed (checkGained): one appended
// without the key while a job ran was chained onto, and the job's closing
// checkpoint then vouched for it (an outside review).
func (l *Log) catchUp(f io.ReaderAt, size int64) error {
	if size == l.size {
		return nil
	}
	if l.sign != nil {
		if err := l.checkGained(f, size); err != nil {
			return err
		}
	}
	return l.loadHead(f, size)
}

func (l *Log) openForAppend() (*os.File, error) {
	const flags = os.O_RDWR | os.O_APPEND | os.O_CREATE
	f, err := os.OpenFile(l.path, flags, 0o644)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(l.path), 0o755); err != nil {
			return nil, fmt.Errorf("audit log %s: %w", l.path, err)
		}
		f, err = os.OpenFile(l.path, flags, 0o644)
	}
	if err != nil {
		return nil, fmt.Errorf("audit log %s: %w", l.path, err)
	}
	return f, nil
}

// checkGained checks the entries a signing log's file gained since this
// Log learned its head (bytes [l.size, size)): each must continue the
// chain from that head and carry the signature of its hash by the key
// l.sign signs with. Ed25519 signatures are deterministic, so the key
// that signs also checks. A file shorter than the head was learned at
// was cut: an error too. Both match ErrCorrupt.
func (l *Log) checkGained(r io.ReaderAt, size int64) error {
	if size < l.size {
		return fmt.Errorf("audit log %s: refusing to append: %w: it is %d bytes, shorter than the %d this process left it at (cut while the job ran)", l.path, ErrCorrupt, size, l.size)
	}
	data := make([]byte, size-l.size)
	if _, err := r.ReadAt(data, l.size); err != nil {
		return fmt.Errorf("audit log %s: %w", l.path, err)
	}
	seq, hash := l.seq, l.hash
	for off := l.size; len(data) > 0; {
		n := bytes.IndexByte(data, '\n') + 1
		if n == 0 {
			n = len(data)
		}
		e, err := ParseEntry(data[:n])
		if err == nil && (e.Seq != seq+1 || e.Prev != hash) {
			err = fmt.Errorf("seq %d does not continue seq %d", e.Seq, seq)
		}
		if err == nil {
			if h, herr := e.ComputeHash(); herr != nil || h != e.Hash {
				err = errors.New("its hash does not match its content")
			}
		}
		if err == nil && e.Sig != base64.StdEncoding.EncodeToString(l.sign(EntrySigningMessage(e.Hash))) {
			err = errors.New("it is not signed by the root's key")
		}
		if err != nil {
			return fmt.Errorf("audit log %s: refusing to append: %w: an entry written while this job ran (byte offset %d): %v; it was not written by ledgerlens holding the key",
				l.path, ErrCorrupt, off, err)
		}
		seq, hash = e.Seq, e.Hash
		off += int64(n)
		data = data[n:]
	}
	return nil
}

// landedAfter is the error for a line of this Log's that landed at
// byte offset at, after bytes another process appended since the Log
// learned the file's size (l.size): the line does not chain onto them.
// A signing Log names the first of them its key did not sign
// (checkGained); otherwise the error says where they are. Either
// matches ErrCorrupt. The next Append read from the middle of a line
// when the Log took the end of its own line for the end of the file.
func (l *Log) landedAfter(r io.ReaderAt, at int64, e Entry) error {
	if l.sign != nil {
		if err := l.checkGained(r, at); err != nil {
			return err
		}
	}
	return fmt.Errorf("audit log %s: %w: another process appended %d bytes at byte offset %d as this job wrote seq %d, which landed after them and does not chain onto them",
		l.path, ErrCorrupt, at-l.size, l.size, e.Seq)
}

// loadHead sets the head from the last entry of a file of the given size.
func (l *Log) loadHead(r io.ReaderAt, size int64) error {
	seq, hash, err := readHead(r, size)
	if err != nil {
		return fmt.Errorf("audit log %s: refusing to append: %w (run 'ledgerlens audit verify' for details)", l.path, err)
	}
	l.seq, l.hash, l.size = seq, hash, size
	return nil
}

// readHead finds the last two lines by reading backwards from the end, and
// checks the last entry's hash and its link to the one before.
func readHead(r io.ReaderAt, size int64) (int64, string, error) {
	if size == 0 {
		return 0, ZeroHash, nil
	}
	last := make([]byte, 1)
	if _, err := r.ReadAt(last, size-1); err != nil {
		return 0, "", fmt.Errorf("read tail: %w", err)
	}
	if last[0] != '\n' {
		return 0, "", fmt.Errorf("%w: last line has no trailing newline (torn write or truncated file)", ErrCorrupt)
	}
	for window := int64(8 << 10); ; window *= 2 {
		start := max(size-window, 0)
		buf := make([]byte, size-start)
		if _, err := r.ReadAt(buf, start); err != nil && err != io.EOF {
			return 0, "", fmt.Errorf("read tail: %w", err)
		}
		body := buf[:len(buf)-1] // without the final newline
		i := bytes.LastIndexByte(body, '\n')
		if i < 0 && start == 0 {
			return checkTail(body, 0, nil, 0)
		}
		if i >= 0 {
			j := bytes.LastIndexByte(body[:i], '\n') // -1: the line before starts at buf[0]
			if j >= 0 || start == 0 {
				return checkTail(body[i+1:], start+int64(i)+1, body[j+1:i], start+int64(j)+1)
			}
		}
		// The last two lines do not fit in the window yet: widen it.
		if window >= maxTail {
			return 0, "", fmt.Errorf("%w: last entries are longer than %d bytes", ErrCorrupt, maxTail)
		}
	}
}

// checkTail checks the last line (at byte offset lastOff) and, when prevLine
// is non-nil, its link to the line before (at prevOff).
func checkTail(lastLine []byte, lastOff int64, prevLine []byte, prevOff int64) (int64, string, error) {
	last, err := ParseEntry(lastLine)
	if err != nil {
		return 0, "", fmt.Errorf("%w: last entry (byte offset %d): %v", ErrCorrupt, lastOff, err)
	}
	if got, err := last.ComputeHash(); err != nil || got != last.Hash {
		return 0, "", fmt.Errorf("%w: last entry (seq %d, byte offset %d): hash mismatch", ErrCorrupt, last.Seq, lastOff)
	}
	wantSeq, wantPrev := int64(1), ZeroHash
	if prevLine != nil {
		prev, err := ParseEntry(prevLine)
		if err != nil {
			return 0, "", fmt.Errorf("%w: entry before the last (byte offset %d): %v", ErrCorrupt, prevOff, err)
		}
		wantSeq, wantPrev = prev.Seq+1, prev.Hash
	}
	if last.Seq != wantSeq {
		return 0, "", fmt.Errorf("%w: last entry (byte offset %d) has seq %d, expected %d", ErrCorrupt, lastOff, last.Seq, wantSeq)
	}
	if last.Prev != wantPrev {
		return 0, "", fmt.Errorf("%w: last entry (seq %d) does not chain to the entry before it", ErrCorrupt, last.Seq)
	}
	return last.Seq, last.Hash, nil
}
