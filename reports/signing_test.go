package reports

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// seedReader returns a deterministic 32-byte seed source.
func keySeedReader(b byte) *bytes.Reader { return bytes.NewReader(bytes.Repeat([]byte{b}, 32)) }

// testSigner returns a signer from a fixed seed.
func newTestSigner(t *testing.T, b byte) *Signer {
	t.Helper()
	s, err := NewSigner(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, ed25519.SeedSize)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestGenerateKeyRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	info, err := GenerateKey(dir, keySeedReader(7))
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{info.PrivatePath: 0o600, info.PublicPath: 0o644} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s mode %v, want %v", path, st.Mode().Perm(), want)
		}
	}
	if len(info.KeyID) != 16 || strings.Trim(info.KeyID, "0123456789abcdef") != "" {
		t.Errorf("key id %q is not 16 lower-case hex digits", info.KeyID)
	}
	s, err := LoadSigner(info.PrivatePath)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := LoadPublicKey(info.PublicPath)
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(s.Public()) || !pub.Equal(info.Public) {
		t.Fatal("public key file does not match the private key")
	}
	if s.KeyID() != info.KeyID || KeyID(pub) != info.KeyID {
		t.Errorf("key ids differ: signer %s, file %s, info %s", s.KeyID(), KeyID(pub), info.KeyID)
	}
	msg := []byte(`{"report_id":"CREDIT_REVIEW_2026-11-16"}`)
	sig := s.Sign(msg)
	if !ed25519.Verify(pub, msg, sig) {
		t.Error("signature does not verify")
	}
	if ed25519.Verify(pub, append(msg, ' '), sig) {
		t.Error("signature verifies for other content")
	}

	// The same seed gives the same key: fixtures and tests can pin ids.
	info2, err := GenerateKey(filepath.Join(t.TempDir(), "k"), keySeedReader(7))
	if err != nil {
		t.Fatal(err)
	}
	if info2.KeyID != info.KeyID {
		t.Errorf("same seed, key ids %s and %s", info.KeyID, info2.KeyID)
	}
	// KeyID is SHA-256 of the SPKI DER, i.e. of the PEM block's bytes.
	pemData, _ := os.ReadFile(info.PublicPath)
	block, _ := pem.Decode(pemData)
	sum := sha256.Sum256(block.Bytes)
	if want := hex.EncodeToString(sum[:])[:16]; info.KeyID != want {
		t.Errorf("key id %s, want %s", info.KeyID, want)
	}
}

func TestGenerateKeyRefusesOverwrite(t *testing.T) {
	dir := t.TempDir()
	info, err := GenerateKey(dir, keySeedReader(1))
	if err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(info.PrivatePath)
	_, err = GenerateKey(dir, keySeedReader(2))
	if err == nil || !strings.Contains(err.Error(), "refusing to overwrite") {
		t.Fatalf("second GenerateKey = %v, want refusal", err)
	}
	after, _ := os.ReadFile(info.PrivatePath)
	if !bytes.Equal(before, after) {
		t.Error("existing key was modified")
	}
	if _, err := GenerateKey(t.TempDir(), bytes.NewReader([]byte("short"))); err == nil {
		t.Error("GenerateKey with a short random source succeeded")
	}
}

func TestLoadSignerModes(t *testing.T) {
	dir := t.TempDir()
	info, err := GenerateKey(dir, keySeedReader(3))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		mode os.FileMode
		ok   bool
	}{
		{0o600, true}, {0o400, true}, {0o644, false}, {0o640, false}, {0o604, false}, {0o660, false}, {0o602, false},
	}
	for _, tt := range tests {
		if err := os.Chmod(info.PrivatePath, tt.mode); err != nil {
			t.Fatal(err)
		}
		_, err := LoadSigner(info.PrivatePath)
		if tt.ok && err != nil {
			t.Errorf("mode %04o: %v", tt.mode, err)
		}
		if !tt.ok {
			if err == nil {
				t.Errorf("mode %04o accepted", tt.mode)
			} else if !strings.Contains(err.Error(), "chmod 600 "+info.PrivatePath) {
				t.Errorf("mode %04o: message %q does not say how to fix it", tt.mode, err)
			}
		}
	}
}

func TestLoadKeyErrors(t *testing.T) {
	dir := t.TempDir()
	info, err := GenerateKey(filepath.Join(dir, "keys"), keySeedReader(4))
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), keySeedReader(5))
	if err != nil {
		t.Fatal(err)
	}
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ecKey)
	ecPubDER, _ := x509.MarshalPKIXPublicKey(&ecKey.PublicKey)
	pubPEM, _ := os.ReadFile(info.PublicPath)
	put := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	signerCases := []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(dir, "nope.key"), "ledgerlens keys generate"},
		{"garbage", put("garbage.key", []byte("not a key")), "PRIVATE KEY"},
		{"public key", put("pub.key", pubPEM), "PRIVATE KEY"},
		{"ecdsa", put("ec.key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER})), "not an Ed25519 key"},
		{"directory", filepath.Join(dir, "keys"), "not a regular file"},
	}
	for _, tt := range signerCases {
		if tt.name == "directory" {
			os.Chmod(tt.path, 0o700)
		}
		_, err := LoadSigner(tt.path)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("LoadSigner %s = %v, want an error mentioning %q", tt.name, err, tt.want)
		}
	}
	privPEM, _ := os.ReadFile(info.PrivatePath)
	pubCases := []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(dir, "nope.pub"), "no such file"},
		{"private key", put("priv.pub", privPEM), "PUBLIC KEY"},
		{"ecdsa", put("ec.pub", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecPubDER})), "an ECDSA key, not an Ed25519 key"},
		// An OpenSSH key given for the PEM one was "no PEM block" and a
		// Go type name (an outside review): said as what it is.
		{"openssh", put("id.pub", []byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH0aZ0Z alice@host\n")), "an OpenSSH public key line"},
	}
	for _, tt := range pubCases {
		_, err := LoadPublicKey(tt.path)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("LoadPublicKey %s = %v, want an error mentioning %q", tt.name, err, tt.want)
		}
	}
}

// TestOpenSSLCompatibility checks the docs/COMPLIANCE.md, "Integrity" promise that signatures verify
// with stock OpenSSL, with exactly the documented command.
func TestOpenSSLCompatibility(t *testing.T) {
	for _, tool := range []string{"openssl", "base64", "sh"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not on PATH", tool)
		}
	}
	dir := t.TempDir()
	info, err := GenerateKey(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := LoadSigner(info.PrivatePath)
	if err != nil {
		t.Fatal(err)
	}
	sh := func(script string) (string, error) {
		cmd := exec.Command("sh", "-c", script)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := sh("openssl pkey -in signing.key -noout"); err != nil {
		t.Fatalf("openssl cannot read the private key: %v\n%s", err, out)
	}
	out, err := sh("openssl pkey -pubin -in signing.pub -outform DER | sha256sum")
	if err != nil || !strings.HasPrefix(out, info.KeyID) {
		t.Errorf("openssl's view of the key id: %v %q, want prefix %s", err, out, info.KeyID)
	}

	data := []byte("{\"report_id\":\"CREDIT_REVIEW_2026-11-16\",\"note\":\"<&>\"}\n")
	f := filepath.Join(dir, "f")
	if err := os.WriteFile(f, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f+".sig", SignatureBytes(s.Sign(data)), 0o644); err != nil {
		t.Fatal(err)
	}
	const verify = "base64 -d f.sig > s.bin; openssl pkeyutl -verify -pubin -inkey signing.pub -rawin -in f -sigfile s.bin"
	if out, err := sh(verify); err != nil {
		t.Fatalf("openssl rejects a good signature: %v\n%s", err, out)
	}
	flipped := bytes.Clone(data)
	flipped[5] ^= 0x01
	if err := os.WriteFile(f, flipped, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := sh(verify); err == nil {
		t.Fatalf("openssl accepts a signature over a flipped byte:\n%s", out)
	}

	// And the other way round: OpenSSL's signature verifies here.
	if err := os.WriteFile(f, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := sh("openssl pkeyutl -sign -inkey signing.key -rawin -in f -out o.bin && base64 o.bin > o.sig"); err != nil {
		t.Fatalf("openssl sign: %v\n%s", err, out)
	}
	osig, _ := os.ReadFile(filepath.Join(dir, "o.sig"))
	raw, err := ParseSignature(osig)
	if err != nil || !ed25519.Verify(info.Public, data, raw) {
		t.Errorf("OpenSSL's signature does not verify here: %v", err)
	}
}
