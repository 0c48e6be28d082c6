package reports

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
)

// ErrVerification matches (errors.Is) every failed check reported by
// VerifyFile, as opposed to errors reading the files.
var ErrVerification = errors.New("verification failed")

// CheckStatus is the outcome of one check.
type CheckStatus string

// Check outcomes.
const (
	CheckOK      CheckStatus = "ok"
	CheckFailed  CheckStatus = "failed"  // present but wrong
	CheckMissing CheckStatus = "missing" // the .sha256 or .sig file is absent
	CheckSkipped CheckStatus = "skipped" // signature not checked: no public key given
)

// Check is one verified property and, unless ok, what is wrong with it.
type Check struct {
	Status CheckStatus
	Detail string
}

// FileCheck is the result of verifying one artifact offline.
type FileCheck struct {
	Path      string
	SHA256    string // of the artifact's bytes as read
	Sidecar   Check  // <file>.sha256: present, well-formed, names the file, hash matches
	Signature Check  // <file>.sig: present, base64, verifies with the key
	KeyID     string // id of the key the signature was checked against; "" when skipped
}

// OK reports whether every check that was made passed.
func (c FileCheck) OK() bool {
	return c.Sidecar.Status == CheckOK && (c.Signature.Status == CheckOK || c.Signature.Status == CheckSkipped)
}

// Problems lists the failed checks' details, sidecar first.
func (c FileCheck) Problems() []string {
	var out []string
	for _, ch := range []Check{c.Sidecar, c.Signature} {
		if ch.Status == CheckFailed || ch.Status == CheckMissing {
			out = append(out, ch.Detail)
		}
	}
	return out
}

// Err returns nil when OK, else a *VerificationError.
func (c FileCheck) Err() error {
	if c.OK() {
		return nil
	}
	return &VerificationError{Path: c.Path, Problems: c.Problems()}
}

// VerificationError says which checks of a file failed. It matches
// ErrVerification.
type VerificationError struct {
	Path     string
	Problems []string
}

func (e *VerificationError) Error() string {
	return e.Path + ": " + strings.Join(e.Problems, "; ")
}

// Is makes errors.Is(err, ErrVerification) true.
func (e *VerificationError) Is(target error) bool { return target == ErrVerification }

// VerifyFile checks the artifact at path against path.sha256 and, when pub
// is not nil, path.sig. It returns the per-check result and, if a check
// failed, a *VerificationError naming the failures (errors.Is
// ErrVerification); other errors mean a file could not be read.
func VerifyFile(path string, pub ed25519.PublicKey) (FileCheck, error) {
	c, _, err := VerifyFileData(path, pub)
	return c, err
}

// VerifyFileData is VerifyFile returning the bytes it checked, read once:
// a caller that goes on to read the file (its report's counts, its key
// id) reads what was verified, not whatever the name holds by then. With
// more than one key the signature is checked with each in turn until one
// verifies (the keys a rotation retired after the current one); KeyID
// names the key that did, else the first. A nil first key checks the
// sidecar only.
func VerifyFileData(path string, keys ...ed25519.PublicKey) (FileCheck, []byte, error) {
	data, err := inputs.ReadRegular(path)
	if err != nil {
		return FileCheck{Path: path}, nil, fmt.Errorf("verify: %w", err)
	}
	sidecar, err := readOptional(path + SidecarExt)
	if err != nil {
		return FileCheck{Path: path}, nil, err
	}
	var pub ed25519.PublicKey
	if len(keys) > 0 {
		pub = keys[0]
	}
	var sig []byte
	if pub != nil {
		if sig, err = readOptional(path + SignatureExt); err != nil {
			return FileCheck{Path: path}, nil, err
		}
	}
	name := filepath.Base(path)
	c := VerifyData(name, data, sidecar, sig, pub)
	for i := 1; i < len(keys) && c.Sidecar.Status == CheckOK && c.Signature.Status == CheckFailed; i++ {
		if other := VerifyData(name, data, sidecar, sig, keys[i]); other.OK() {
			c = other
		}
	}
	c.Path = path
	return c, data, c.Err()
}

// VerifyOpenFile is VerifyFile for a file already open, f, named path (so
// that what is checked is what the caller goes on to read, not whatever
// the name points to by then), for a file whose size nobody vouches for
// yet (an evidence bundle handed over): its companions are read first,
// its SHA-256 is streamed, and it is read whole, for the signature, only
// when both companions are there and the sidecar matches.
func VerifyOpenFile(f *os.File, path string, pub ed25519.PublicKey) (FileCheck, error) {
	name := filepath.Base(path)
	c := FileCheck{Path: path}
	sidecar, err := readOptional(path + SidecarExt)
	if err != nil {
		return c, err
	}
	var sig []byte
	if pub != nil {
		if sig, err = readOptional(path + SignatureExt); err != nil {
			return c, err
		}
		c.KeyID = KeyID(pub)
	}
	fi, err := f.Stat()
	if err != nil {
		return c, fmt.Errorf("verify: %w", err)
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, fi.Size())); err != nil {
		return c, fmt.Errorf("verify: %w", err)
	}
	c.SHA256 = hex.EncodeToString(h.Sum(nil))
	c.Sidecar = checkSidecar(name, c.SHA256, sidecar)
	switch {
	case pub != nil && sig == nil:
		c.Signature = checkSignature(name, nil, nil, pub)
	case pub != nil && c.Sidecar.Status != CheckOK:
		c.Signature = Check{CheckSkipped, "not checked: the file is not the one its sidecar names"}
	default:
		data, err := io.ReadAll(io.NewSectionReader(f, 0, fi.Size()))
		if err != nil {
			return c, fmt.Errorf("verify: %w", err)
		}
		c.Signature = checkSignature(name, data, sig, pub)
	}
	return c, c.Err()
}

// maxCompanionBytes bounds what is read of a sidecar or a signature file:
// ledgerlens writes a few hundred bytes. One of a gigabyte was read whole,
// and a sidecar's junk quoted whole on stdout (an outside review).
const maxCompanionBytes = 64 << 10

// readOptional reads a companion file, at most maxCompanionBytes and one
// byte more (which its check refuses); nil (not an error) when absent.
func readOptional(path string) ([]byte, error) {
	f, err := inputs.OpenRegular(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCompanionBytes+1))
	if err != nil {
		return nil, fmt.Errorf("verify: %s: %w", path, err)
	}
	if data == nil {
		data = []byte{}
	}
	return data, nil
}

// oversize says when a companion file is larger than any ledgerlens
// writes ("" when not).
func oversize(file string, data []byte) string {
	if len(data) <= maxCompanionBytes {
		return ""
	}
	return fmt.Sprintf("%s is over %d bytes, larger than any ledgerlens writes: not a companion it made", file, maxCompanionBytes)
}

// VerifyData makes VerifyFile's checks on bytes already in memory (for
// example the members of an evidence bundle). name is the artifact's base
// name; a nil sidecar or sig means the companion file is missing; a nil pub
// skips the signature check.
func VerifyData(name string, data, sidecar, sig []byte, pub ed25519.PublicKey) FileCheck {
	c := FileCheck{Path: name, SHA256: SHA256Hex(data)}
	c.Sidecar = checkSidecar(name, c.SHA256, sidecar)
	c.Signature = checkSignature(name, data, sig, pub)
	if pub != nil {
		c.KeyID = KeyID(pub)
	}
	return c
}

func checkSidecar(name, sum string, sidecar []byte) Check {
	file := name + SidecarExt
	if sidecar == nil {
		return Check{CheckMissing, "missing sidecar " + file}
	}
	if p := oversize(file, sidecar); p != "" {
		return Check{CheckFailed, p}
	}
	sc, err := ParseSidecar(sidecar)
	if err != nil {
		return Check{CheckFailed, fmt.Sprintf("malformed sidecar %s: %v", file, err)}
	}
	if sc.Name != name {
		return Check{CheckFailed, fmt.Sprintf("sidecar %s names %.100q, not %q", file, sc.Name, name)}
	}
	if sc.SHA256 != sum {
		return Check{CheckFailed, fmt.Sprintf("sha256 mismatch: sidecar says %s, file is %s", sc.SHA256, sum)}
	}
	return Check{Status: CheckOK}
}

func checkSignature(name string, data, sig []byte, pub ed25519.PublicKey) Check {
	file := name + SignatureExt
	if pub == nil {
		return Check{CheckSkipped, "no public key given: signature not checked"}
	}
	if len(pub) != ed25519.PublicKeySize {
		return Check{CheckFailed, fmt.Sprintf("public key has %d bytes, an Ed25519 key has %d", len(pub), ed25519.PublicKeySize)}
	}
	if sig == nil {
		return Check{CheckMissing, "missing signature " + file}
	}
	if p := oversize(file, sig); p != "" {
		return Check{CheckFailed, p}
	}
	raw, err := ParseSignature(sig)
	if err != nil {
		return Check{CheckFailed, fmt.Sprintf("malformed signature %s: %v", file, err)}
	}
	if !ed25519.Verify(pub, data, raw) {
		return Check{CheckFailed, fmt.Sprintf("signature does not verify with key %s", KeyID(pub))}
	}
	return Check{Status: CheckOK}
}
