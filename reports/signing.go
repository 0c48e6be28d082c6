package reports

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/ledgerlens/ledgerlens/pipeline/atomicfile"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
)

// Names of the key pair inside a keys directory (.ledgerlens/keys/).
const (
	PrivateKeyFile = "signing.key"
	PublicKeyFile  = "signing.pub"
)

// KeyInfo describes a generated key pair.
type KeyInfo struct {
	KeyID       string
	PrivatePath string
	PublicPath  string
	Public      ed25519.PublicKey
}

// KeyID identifies a public key: the first 16 hex characters of the SHA-256
// of its SPKI DER encoding — the bytes inside signing.pub's PEM block, so
// `openssl pkey -pubin -in signing.pub -outform DER | sha256sum` shows it.
func KeyID(pub ed25519.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		// Only a key of the wrong length fails to marshal; such a key never
		// verifies anything, and this id says so rather than panicking.
		return "invalid-key"
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:8])
}

// GenerateKey creates an Ed25519 key pair in dir (created 0700 if missing):
// signing.key, PKCS #8 PEM, mode 0600; signing.pub, SPKI PEM, mode 0644. It
// refuses to overwrite an existing signing.key, which would orphan every
// signature made with it. rand supplies the 32-byte seed (nil: crypto/rand).
func GenerateKey(dir string, random io.Reader) (KeyInfo, error) {
	privPath := filepath.Join(dir, PrivateKeyFile)
	pubPath := filepath.Join(dir, PublicKeyFile)
	if random == nil {
		random = rand.Reader
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return KeyInfo{}, fmt.Errorf("generate signing key: %w", err)
	}
	if _, err := os.Lstat(privPath); err == nil {
		return KeyInfo{}, fmt.Errorf("generate signing key: %s already exists; refusing to overwrite it (to replace the key, run 'ledgerlens keys rotate', which keeps the old public key for what it signed)", privPath)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return KeyInfo{}, fmt.Errorf("generate signing key: %w", err)
	}
	seed := make([]byte, ed25519.SeedSize)
	if _, err := io.ReadFull(random, seed); err != nil {
		return KeyInfo{}, fmt.Errorf("generate signing key: read random seed: %w", err)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	pub := priv.Public().(ed25519.PublicKey)

	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return KeyInfo{}, fmt.Errorf("generate signing key: %w", err)
	}
	pubPEM, err := PublicKeyPEM(pub)
	if err != nil {
		return KeyInfo{}, fmt.Errorf("generate signing key: %w", err)
	}
	// The private key first: a crash between the two writes leaves a key
	// whose public half can be re-derived, never a public key without one.
	privPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER})
	if err := atomicfile.WriteFile(privPath, privPEM, 0o600); err != nil {
		return KeyInfo{}, fmt.Errorf("generate signing key: %w", err)
	}
	if err := atomicfile.WriteFile(pubPath, pubPEM, 0o644); err != nil {
		return KeyInfo{}, fmt.Errorf("generate signing key: %w", err)
	}
	return KeyInfo{KeyID: KeyID(pub), PrivatePath: privPath, PublicPath: pubPath, Public: pub}, nil
}

// PublicKeyPEM encodes pub as signing.pub holds it: SPKI in a PEM
// "PUBLIC KEY" block, the form `openssl pkeyutl -verify -pubin` reads.
func PublicKeyPEM(pub ed25519.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// Signer signs artifacts with an Ed25519 private key.
type Signer struct {
	priv ed25519.PrivateKey
	id   string
}

// NewSigner wraps a private key already in memory (tests, or keys held by
// something other than a PEM file).
func NewSigner(priv ed25519.PrivateKey) (*Signer, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("ed25519 private key has %d bytes, want %d", len(priv), ed25519.PrivateKeySize)
	}
	return &Signer{priv: priv, id: KeyID(priv.Public().(ed25519.PublicKey))}, nil
}

// LoadSigner reads a PKCS #8 PEM Ed25519 private key. It refuses a file that
// group or others may read or write: a signing key others can read proves
// nothing.
func LoadSigner(path string) (*Signer, error) { return LoadSignerAs(path, path) }

// LoadSignerAs is LoadSigner of the file this process reaches at path
// (through its handle on a checked directory), which messages call name.
func LoadSignerAs(path, name string) (*Signer, error) {
	f, err := inputs.OpenRegular(path)
	err = namedAs(err, path, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("signing key %s does not exist: create one with 'ledgerlens keys generate', or pass --unsigned", name)
	}
	if err != nil {
		return nil, fmt.Errorf("load signing key: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("load signing key %s: %w", name, namedAs(err, path, name))
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("load signing key %s: not a regular file", name)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("signing key %s has mode %04o: it must not be readable or writable by group or others; fix it with: chmod 600 %s", name, perm, name)
	}
	data, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("load signing key %s: %w", name, namedAs(err, path, name))
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("load signing key %s: no PEM \"PRIVATE KEY\" (PKCS #8) block", name)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("load signing key %s: %w", name, err)
	}
	priv, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("load signing key %s: a %T, not an Ed25519 key", name, key)
	}
	return NewSigner(priv)
}

// Sign returns the Ed25519 signature of data (pure Ed25519 over the exact
// bytes, as `openssl pkeyutl -sign -rawin` makes).
func (s *Signer) Sign(data []byte) []byte { return ed25519.Sign(s.priv, data) }

// SignAll returns the signatures of each of data, in order, made
// concurrently: each is two SHA-512 passes over its bytes, and a report's
// files are signed together.
func (s *Signer) SignAll(data ...[]byte) [][]byte {
	sigs := make([][]byte, len(data))
	var wg sync.WaitGroup
	for i, d := range data {
		wg.Go(func() { sigs[i] = s.Sign(d) })
	}
	wg.Wait()
	return sigs
}

// KeyID returns the id of the signer's public key.
func (s *Signer) KeyID() string { return s.id }

// Public returns the signer's public key.
func (s *Signer) Public() ed25519.PublicKey { return s.priv.Public().(ed25519.PublicKey) }

// LoadPublicKey reads an SPKI PEM ("PUBLIC KEY") Ed25519 public key.
func LoadPublicKey(path string) (ed25519.PublicKey, error) { return LoadPublicKeyAs(path, path) }

// LoadPublicKeyAs is LoadPublicKey of the file this process reaches at
// path (through its handle on a checked directory), which messages call
// name.
func LoadPublicKeyAs(path, name string) (ed25519.PublicKey, error) {
	data, err := inputs.ReadRegular(path)
	if err != nil {
		return nil, fmt.Errorf("load public key: %w", namedAs(err, path, name))
	}
	pub, err := ParsePublicKey(data)
	if err != nil {
		return nil, fmt.Errorf("load public key %s: %w", name, err)
	}
	return pub, nil
}

// ParsePublicKey decodes a PEM (SPKI) Ed25519 public key, as `keys
// generate` writes signing.pub. Its errors say what the bytes are instead
// when that is plain: an OpenSSH key line, or a key of another kind.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PUBLIC KEY" {
		if bytes.HasPrefix(bytes.TrimSpace(data), []byte("ssh-")) {
			return nil, errors.New(`an OpenSSH public key line, not the PEM "PUBLIC KEY" block signing.pub holds: give the signing.pub the reports were signed with`)
		}
		return nil, errors.New(`no PEM "PUBLIC KEY" block`)
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	pub, ok := key.(ed25519.PublicKey)
	if !ok {
		kind := fmt.Sprintf("%T", key)
		switch key.(type) {
		case *rsa.PublicKey:
			kind = "RSA"
		case *ecdsa.PublicKey:
			kind = "ECDSA"
		}
		return nil, fmt.Errorf("an %s key, not an Ed25519 key: ledgerlens signs with Ed25519", kind)
	}
	return pub, nil
}

// namedAs is err, an error of reading the file at path, naming it name
// instead where it names it path (an open's *fs.PathError, an
// *inputs.NotRegularError): a path through a directory handle means
// nothing to a person. It must be applied before err is wrapped.
func namedAs(err error, path, name string) error {
	if err == nil || path == name {
		return err
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == path {
		pe.Path = name
	}
	var nr *inputs.NotRegularError
	if errors.As(err, &nr) && nr.Path == path {
		nr.Path = name
	}
	return err
}
