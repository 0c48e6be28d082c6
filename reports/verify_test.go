package reports

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// publishOne writes a signed file with sidecar and signature into a fresh
// directory and returns its path.
func writeSignedTestFile(t *testing.T, s *Signer, name string, d []byte) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, name)
	for p, d := range map[string][]byte{
		path:                d,
		path + SidecarExt:   SidecarBytes(name, d),
		path + SignatureExt: SignatureBytes(s.Sign(d)),
	} {
		if err := os.WriteFile(p, d, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func TestVerifyFile(t *testing.T) {
	signer := newTestSigner(t, 11)
	other := newTestSigner(t, 12)
	data := []byte(`{"report_id":"CREDIT_REVIEW_2026-11-16"}` + "\n")
	const name = "weekly_2026-11-16.json"

	tests := []struct {
		name       string
		tamper     func(t *testing.T, path string)
		noKey      bool
		wantSide   CheckStatus
		wantSig    CheckStatus
		wantDetail []string // substrings of the error
	}{
		{name: "intact", tamper: func(*testing.T, string) {}, wantSide: CheckOK, wantSig: CheckOK},
		{name: "intact, sidecar only", tamper: func(*testing.T, string) {}, noKey: true, wantSide: CheckOK, wantSig: CheckSkipped},
		{name: "one byte flipped", tamper: func(t *testing.T, p string) {
			d := []byte(string(data))
			d[3] ^= 0x20
			writeTestFile(t, p, d)
		}, wantSide: CheckFailed, wantSig: CheckFailed, wantDetail: []string{
			"sha256 mismatch: sidecar says " + SHA256Hex(data) + ", file is ",
			"signature does not verify with key " + signer.KeyID(),
		}},
		{name: "signature of another file", tamper: func(t *testing.T, p string) {
			writeTestFile(t, p+SignatureExt, SignatureBytes(signer.Sign([]byte("other file"))))
		}, wantSide: CheckOK, wantSig: CheckFailed, wantDetail: []string{"signature does not verify with key " + signer.KeyID()}},
		{name: "signed by another key", tamper: func(t *testing.T, p string) {
			writeTestFile(t, p+SignatureExt, SignatureBytes(other.Sign(data)))
		}, wantSide: CheckOK, wantSig: CheckFailed, wantDetail: []string{"signature does not verify"}},
		{name: "missing sidecar", tamper: func(t *testing.T, p string) { removeTestFile(t, p+SidecarExt) },
			wantSide: CheckMissing, wantSig: CheckOK, wantDetail: []string{"missing sidecar " + name + ".sha256"}},
		{name: "missing sidecar, sidecar only", tamper: func(t *testing.T, p string) { removeTestFile(t, p+SidecarExt) }, noKey: true,
			wantSide: CheckMissing, wantSig: CheckSkipped, wantDetail: []string{"missing sidecar"}},
		{name: "missing signature", tamper: func(t *testing.T, p string) { removeTestFile(t, p+SignatureExt) },
			wantSide: CheckOK, wantSig: CheckMissing, wantDetail: []string{"missing signature " + name + ".sig"}},
		{name: "sidecar names another file", tamper: func(t *testing.T, p string) {
			writeTestFile(t, p+SidecarExt, SidecarBytes("weekly_2026-11-09.json", data))
		}, wantSide: CheckFailed, wantSig: CheckOK, wantDetail: []string{`names "weekly_2026-11-09.json"`}},
		{name: "malformed sidecar", tamper: func(t *testing.T, p string) { writeTestFile(t, p+SidecarExt, []byte("deadbeef weekly.json\n")) },
			wantSide: CheckFailed, wantSig: CheckOK, wantDetail: []string{"malformed sidecar"}},
		{name: "malformed signature", tamper: func(t *testing.T, p string) { writeTestFile(t, p+SignatureExt, []byte("not base64!\n")) },
			wantSide: CheckOK, wantSig: CheckFailed, wantDetail: []string{"malformed signature"}},
		// Companions of a gigabyte were read whole, and a sidecar's junk
		// printed whole (an outside review): each is read to a bound.
		{name: "a sidecar with a megabyte after its name", tamper: func(t *testing.T, p string) {
			writeTestFile(t, p+SidecarExt, append(SidecarBytes(name, data)[:64+2+len(name)], strings.Repeat("x", 1<<20)+"\n"...))
		}, wantSide: CheckFailed, wantSig: CheckOK, wantDetail: []string{name + ".sha256 is over 65536 bytes"}},
		{name: "a signature of a megabyte", tamper: func(t *testing.T, p string) {
			writeTestFile(t, p+SignatureExt, []byte(strings.Repeat("A", 1<<20)))
		}, wantSide: CheckOK, wantSig: CheckFailed, wantDetail: []string{name + ".sig is over 65536 bytes"}},
		{name: "a sidecar naming a long name", tamper: func(t *testing.T, p string) {
			writeTestFile(t, p+SidecarExt, SidecarBytes(strings.Repeat("y", 10000), data))
		}, wantSide: CheckFailed, wantSig: CheckOK, wantDetail: []string{`names "yyyy`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeSignedTestFile(t, signer, name, data)
			tt.tamper(t, path)
			pub := signer.Public()
			if tt.noKey {
				pub = nil
			}
			c, err := VerifyFile(path, pub)
			if c.Sidecar.Status != tt.wantSide || c.Signature.Status != tt.wantSig {
				t.Errorf("sidecar %s (%s), signature %s (%s); want %s, %s",
					c.Sidecar.Status, c.Sidecar.Detail, c.Signature.Status, c.Signature.Detail, tt.wantSide, tt.wantSig)
			}
			if len(tt.wantDetail) == 0 {
				if err != nil || !c.OK() {
					t.Fatalf("VerifyFile = %v", err)
				}
				return
			}
			if !errors.Is(err, ErrVerification) || c.OK() {
				t.Fatalf("VerifyFile = %v, want ErrVerification", err)
			}
			for _, want := range tt.wantDetail {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			if n := len(err.Error()); n > 1000 {
				t.Errorf("error of %d bytes: what it quotes is not cut short", n)
			}
		})
	}

	// An unreadable artifact is an error, not a verification failure.
	_, err := VerifyFile(filepath.Join(t.TempDir(), "missing.json"), signer.Public())
	if err == nil || errors.Is(err, ErrVerification) {
		t.Errorf("VerifyFile of a missing file = %v", err)
	}
}

func writeTestFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func removeTestFile(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyFileDataKeys: the bytes returned are the ones checked, and the
// signature is checked with each key in turn, naming the one that
// verified; a file's sidecar failing stops the search.
func TestVerifyFileDataKeys(t *testing.T) {
	current, retired, other := newTestSigner(t, 21), newTestSigner(t, 22), newTestSigner(t, 23)
	data := []byte(`{"report_id":"CREDIT_REVIEW_2026-11-16"}` + "\n")
	path := writeSignedTestFile(t, retired, "weekly_2026-11-16.json", data)
	for _, tt := range []struct {
		name    string
		keys    []*Signer
		wantKey string
		wantOK  bool
	}{
		{"the signer's key alone", []*Signer{retired}, retired.KeyID(), true},
		{"a retired key after the current one", []*Signer{current, retired}, retired.KeyID(), true},
		{"no key that signed it", []*Signer{current, other}, current.KeyID(), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var keys []ed25519.PublicKey
			for _, s := range tt.keys {
				keys = append(keys, s.Public())
			}
			c, got, err := VerifyFileData(path, keys...)
			if (err == nil) != tt.wantOK || c.KeyID != tt.wantKey || !bytes.Equal(got, data) {
				t.Errorf("err %v, key %s, %d bytes; want ok %v, key %s and the file's bytes", err, c.KeyID, len(got), tt.wantOK, tt.wantKey)
			}
		})
	}
	writeTestFile(t, path+SidecarExt, SidecarBytes("weekly_2026-11-16.json", []byte("other")))
	if c, _, err := VerifyFileData(path, current.Public(), retired.Public()); err == nil || c.Signature.Status != CheckFailed || c.KeyID != current.KeyID() {
		t.Errorf("a sidecar that fails: err %v, signature %v by %s; want the first key's failure", err, c.Signature.Status, c.KeyID)
	}
}
