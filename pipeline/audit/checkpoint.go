package audit

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/ledgerlens/ledgerlens/pipeline/atomicfile"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
)

// OriginPrefix starts the origin line of every ledgerlens audit checkpoint;
// the signing key's id follows it, so the origin names the log and the key
// that vouches for it (docs/COMPLIANCE.md).
const OriginPrefix = "ledgerlens/audit/"

// Origin returns the checkpoint origin (and note key name) for a key id.
func Origin(keyID string) string { return OriginPrefix + keyID }

// Checkpoint is a signed statement of the log's size and Merkle root, in
// the C2SP tlog-checkpoint format:
//
//	<origin>\n
//	<size, decimal>\n
//	<root hash, base64>\n
//
// followed by a blank line and the Ed25519 signature line of the C2SP
// signed-note format ("— <key name> <base64(key hash ‖ signature)>").
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
	// Note is the whole signed note as written (body and signatures).
	Note []byte
}

// String names the checkpoint in messages.
func (c Checkpoint) String() string {
	return fmt.Sprintf("checkpoint %s size %d root %s", c.Origin, c.Size, c.Root)
}

// NewCheckpointSigner returns a note signer for checkpoints signed by the
// Ed25519 key whose public half is pub and id is keyID; sign makes a pure
// Ed25519 signature of its argument (the private key stays with its owner).
func NewCheckpointSigner(keyID string, pub ed25519.PublicKey, sign func([]byte) []byte) (note.Signer, error) {
	name := Origin(keyID)
	vkey, err := note.NewEd25519VerifierKey(name, pub)
	if err != nil {
		return nil, fmt.Errorf("checkpoint signer: %w", err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("checkpoint signer: %w", err)
	}
	return &noteSigner{name: name, hash: v.KeyHash(), sign: sign}, nil
}

// noteSigner is a note.Signer over an Ed25519 signing function; its key
// hash is the one note computes for the public key.
type noteSigner struct {
	name string
	hash uint32
	sign func([]byte) []byte
}

func (s *noteSigner) Name() string                    { return s.name }
func (s *noteSigner) KeyHash() uint32                 { return s.hash }
func (s *noteSigner) Sign(msg []byte) ([]byte, error) { return s.sign(msg), nil }

// NewCheckpointVerifier returns the note verifier for checkpoints signed
// by the public key whose id is keyID.
func NewCheckpointVerifier(keyID string, pub ed25519.PublicKey) (note.Verifier, error) {
	vkey, err := note.NewEd25519VerifierKey(Origin(keyID), pub)
	if err != nil {
		return nil, fmt.Errorf("checkpoint verifier: %w", err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("checkpoint verifier: %w", err)
	}
	return v, nil
}

// SignCheckpoint makes the signed note for a log of size n with root hash.
func SignCheckpoint(s note.Signer, n int64, root tlog.Hash) ([]byte, error) {
	text := fmt.Sprintf("%s\n%d\n%s\n", s.Name(), n, base64.StdEncoding.EncodeToString(root[:]))
	msg, err := note.Sign(&note.Note{Text: text}, s)
	if err != nil {
		return nil, fmt.Errorf("sign checkpoint: %w", err)
	}
	return msg, nil
}

// OpenCheckpoint checks the signature of a signed checkpoint with v and
// parses its body. The origin must be v's key name.
func OpenCheckpoint(msg []byte, v note.Verifier) (Checkpoint, error) {
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint signature: %w", err)
	}
	c, err := ParseCheckpointText(n.Text)
	if err != nil {
		return Checkpoint{}, err
	}
	if c.Origin != v.Name() {
		return Checkpoint{}, fmt.Errorf("checkpoint origin %q is not the key's name %q", c.Origin, v.Name())
	}
	c.Note = msg
	return c, nil
}

// ParseCheckpointText parses the body of a checkpoint without checking
// any signature (the body of a note that note.Open accepted).
func ParseCheckpointText(text string) (Checkpoint, error) {
	lines := strings.SplitN(text, "\n", 4)
	if len(lines) < 4 {
		return Checkpoint{}, errors.New("checkpoint: fewer than three lines")
	}
	var c Checkpoint
	c.Origin = lines[0]
	if c.Origin == "" {
		return Checkpoint{}, errors.New("checkpoint: empty origin line")
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 0 || lines[1] != strconv.FormatInt(n, 10) {
		return Checkpoint{}, fmt.Errorf("checkpoint: size line %q is not a decimal size", lines[1])
	}
	c.Size = n
	h, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(h) != tlog.HashSize {
		return Checkpoint{}, fmt.Errorf("checkpoint: root line %q is not a base64 SHA-256 hash", lines[2])
	}
	copy(c.Root[:], h)
	return c, nil
}

// NoteOrigin returns the origin line of a signed checkpoint without
// checking its signature ("" if it has none): which key's checkpoint it
// claims to be, so checkpoints of a previous (rotated) key can be told
// from forged ones of the current key.
func NoteOrigin(note string) string {
	origin, _, ok := strings.Cut(note, "\n")
	if !ok {
		return ""
	}
	return origin
}

// StoredCheckpoint is one line of the checkpoints file
// (.ledgerlens/audit.checkpoints): a JSON object with the signed note
// ("note") and, for people, when and by which job it was written.
type StoredCheckpoint struct {
	Line int    `json:"-"`
	Time string `json:"time"`
	Job  string `json:"job,omitempty"`
	Note string `json:"note"`
}

// AppendCheckpoint appends a signed checkpoint to the checkpoints file at
// path (created if missing) with one write on an O_APPEND descriptor,
// fsynced. Get the newest with `tail -n1 FILE | jq -r .note`.
func AppendCheckpoint(path string, signed []byte, job string, now time.Time) error {
	line, err := json.Marshal(StoredCheckpoint{Time: now.UTC().Format(time.RFC3339Nano), Job: job, Note: string(signed)})
	if err != nil {
		return err
	}
	line = append(line, '\n')
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("audit checkpoints %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("audit checkpoints %s: %w", path, err)
	}
	if err := cutTornLine(f); err != nil {
		f.Close()
		return fmt.Errorf("audit checkpoints %s: %w", path, err)
	}
	if _, err := f.Write(line); err != nil {
		f.Close()
		return fmt.Errorf("audit checkpoints %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("audit checkpoints %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("audit checkpoints %s: %w", path, err)
	}
	return atomicfile.SyncDir(filepath.Dir(path))
}

// cutTornLine removes a last line left without its newline by a crash
// mid-append: it cannot hold a whole record, so no signed checkpoint is lost.
func cutTornLine(f *os.File) error {
	data, err := io.ReadAll(f)
	if err != nil || len(data) == 0 || data[len(data)-1] == '\n' {
		return err
	}
	return f.Truncate(int64(bytes.LastIndexByte(data, '\n') + 1))
}

// ReadCheckpoints reads the checkpoints file. A missing file is no
// checkpoints (nil, nil); a line that does not parse is skipped only when it
// is a torn last line, and is otherwise an error naming it.
func ReadCheckpoints(path string) ([]StoredCheckpoint, error) {
	out, _, err := ReadCheckpointsFile(path)
	return out, err
}

// ReadCheckpointsFile is ReadCheckpoints, with the file's bytes as it
// read them (nil for a missing file), for what is checked of them
// besides the checkpoints: one read, so the two agree.
func ReadCheckpointsFile(path string) ([]StoredCheckpoint, []byte, error) {
	data, err := inputs.ReadRegular(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read audit checkpoints: %w", err)
	}
	out, err := parseCheckpoints(path, data)
	return out, data, err
}

// LinesDigest returns the SHA-256, in hex, of the first n complete lines
// of data (each ending in a newline); ok is false when data holds fewer.
func LinesDigest(data []byte, n int64) (digest string, ok bool) {
	end := 0
	for i := int64(0); i < n; i++ {
		j := bytes.IndexByte(data[end:], '\n')
		if j < 0 {
			return "", false
		}
		end += j + 1
	}
	sum := sha256.Sum256(data[:end])
	return hex.EncodeToString(sum[:]), true
}

// CompleteLines is how many complete lines data holds (a torn last line
// is not one).
func CompleteLines(data []byte) int64 { return int64(bytes.Count(data, []byte{'\n'})) }

// parseCheckpoints parses data, the checkpoints file at path (named in
// errors).
func parseCheckpoints(path string, data []byte) ([]StoredCheckpoint, error) {
	var out []StoredCheckpoint
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		raw := sc.Bytes()
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		var c StoredCheckpoint
		if err := json.Unmarshal(raw, &c); err != nil || c.Note == "" {
			torn := !bytes.HasSuffix(data, []byte("\n")) && bytes.HasSuffix(data, raw)
			if torn {
				break
			}
			return nil, fmt.Errorf("audit checkpoints %s line %d: not a checkpoint record: %w", path, n, ErrCheckpoint)
		}
		c.Line = n
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read audit checkpoints %s: %w", path, err)
	}
	return out, nil
}

// KeptCheckpoint is one checkpoint an auditor kept, with the name
// problems give it: "kept checkpoint FILE", and "#N" when the file holds
// several.
type KeptCheckpoint struct {
	Source string
	Note   string
}

// ReadKept reads the checkpoints of each file an auditor kept
// (ReadKeptCheckpoints), named for problems.
func ReadKept(paths []string) ([]KeptCheckpoint, error) {
	var out []KeptCheckpoint
	for _, k := range paths {
		notes, err := ReadKeptCheckpoints(k)
		if err != nil {
			return nil, err
		}
		for i, n := range notes {
			src := "kept checkpoint " + k
			if len(notes) > 1 {
				src = fmt.Sprintf("%s #%d", src, i+1)
			}
			out = append(out, KeptCheckpoint{Source: src, Note: n})
		}
	}
	return out, nil
}

// UnverifiedCheckpoint parses the body of the signed note n without
// checking its signature: where only its size or origin is wanted (which
// proofs to make, whether a note is a checkpoint at all).
func UnverifiedCheckpoint(n string) (Checkpoint, error) {
	body, _, ok := strings.Cut(n, "\n\n")
	if !ok {
		return Checkpoint{}, errors.New("checkpoint: no blank line before its signatures")
	}
	return ParseCheckpointText(body + "\n")
}

// ReadKeptCheckpoints reads a checkpoint an auditor kept: the signed note
// itself, several notes one after another (`cat witness/*`), or JSON
// lines of a checkpoints file. Line ends may be CRLF (a note saved from a
// mail or a ticket). A file holding none, or text that is not a
// checkpoint note, is an error naming it: an input that cannot be used,
// not a checkpoint that failed (an outside review found an empty file
// and a CRLF note reported as signed by the wrong key, and two notes
// concatenated as a bad signature).
func ReadKeptCheckpoints(path string) ([]string, error) {
	data, err := inputs.ReadRegular(path)
	if err != nil {
		return nil, fmt.Errorf("read kept checkpoint: %w", err)
	}
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	var out []string
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
		for i, line := range bytes.Split(data, []byte("\n")) {
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			var s StoredCheckpoint
			if err := json.Unmarshal(line, &s); err != nil || s.Note == "" {
				return nil, fmt.Errorf("kept checkpoint %s line %d: neither a signed note nor a checkpoint record", path, i+1)
			}
			out = append(out, s.Note)
		}
	} else {
		out = splitNotes(string(data))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("kept checkpoint %s holds no checkpoint", path)
	}
	for i, n := range out {
		if _, err := UnverifiedCheckpoint(n); err != nil {
			return nil, fmt.Errorf("kept checkpoint %s (checkpoint %d): not a signed checkpoint note (%v)", path, i+1, err)
		}
	}
	return out, nil
}

// splitNotes splits text into the signed notes written one after
// another in it: a note ends with its signature lines ("— name sig"),
// after the blank line that closes its body. Each note ends in exactly
// one newline, as note.Open wants it (`jq -r .note` and editors add one).
func splitNotes(text string) []string {
	var notes []string
	var cur strings.Builder
	inSigs, signed := false, false
	flush := func() {
		if n := strings.TrimRight(cur.String(), "\n"); n != "" {
			notes = append(notes, n+"\n")
		}
		cur.Reset()
		inSigs, signed = false, false
	}
	for _, line := range strings.SplitAfter(text, "\n") {
		trimmed := strings.TrimRight(line, "\n")
		switch {
		case signed && trimmed != "" && !strings.HasPrefix(trimmed, "— "):
			flush() // the next note's origin line
		case trimmed == "" && cur.Len() == 0:
			continue // blank lines between notes
		}
		if trimmed == "" {
			inSigs = true
		} else if inSigs && strings.HasPrefix(trimmed, "— ") {
			signed = true
		}
		cur.WriteString(line)
	}
	flush()
	return notes
}
