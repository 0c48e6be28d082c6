package reports

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// File name suffixes of an artifact's companions.
const (
	SidecarExt   = ".sha256"
	SignatureExt = ".sig"
)

// Sidecar is a parsed "<file>.sha256" line.
type Sidecar struct {
	SHA256 string // lower-case hex
	Name   string // the file name the line names (unescaped)
}

// SidecarBytes returns the sidecar for data published as fileName, in
// sha256sum's format: "<hex>  <base name>\n", so that
// `sha256sum -c <file>.sha256` passes in the artifact's directory. A name
// containing a backslash, newline or carriage return is escaped the way GNU
// sha256sum does (leading '\', then \\, \n, \r).
func SidecarBytes(fileName string, data []byte) []byte {
	return sidecarOf(fileName, sha256.Sum256(data))
}

// sidecarOf is SidecarBytes for data whose SHA-256 is already known.
func sidecarOf(fileName string, sum [sha256.Size]byte) []byte {
	name := filepath.Base(fileName)
	prefix := ""
	if strings.ContainsAny(name, "\\\n\r") {
		prefix = `\`
		name = strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\r", `\r`).Replace(name)
	}
	return fmt.Appendf(nil, "%s%s  %s\n", prefix, hex.EncodeToString(sum[:]), name)
}

// ParseSidecar parses a sidecar written by SidecarBytes or by sha256sum: one
// line, "<64 hex>  <name>" or "<64 hex> *<name>" (binary mode), optionally
// escaped, with or without the final newline.
func ParseSidecar(data []byte) (Sidecar, error) {
	line, ok := bytes.CutSuffix(data, []byte("\n"))
	if !ok && len(data) == 0 {
		return Sidecar{}, errors.New("sidecar is empty")
	}
	if bytes.IndexByte(line, '\n') >= 0 {
		return Sidecar{}, errors.New("sidecar has more than one line")
	}
	s := string(line)
	escaped := strings.HasPrefix(s, `\`)
	if escaped {
		s = s[1:]
	}
	if len(s) < 64+2 {
		return Sidecar{}, fmt.Errorf("sidecar line %.100q is too short for \"<sha256>  <name>\"", line)
	}
	sum, sep, name := strings.ToLower(s[:64]), s[64:66], s[66:]
	if _, err := hex.DecodeString(sum); err != nil {
		return Sidecar{}, fmt.Errorf("sidecar hash %q is not 64 hex digits", s[:64])
	}
	if sep != "  " && sep != " *" {
		return Sidecar{}, fmt.Errorf("sidecar line %.100q: expected two spaces (or \" *\") after the hash", line)
	}
	if name == "" {
		return Sidecar{}, errors.New("sidecar names no file")
	}
	if escaped {
		var err error
		if name, err = unescapeSumName(name); err != nil {
			return Sidecar{}, err
		}
	}
	return Sidecar{SHA256: sum, Name: name}, nil
}

func unescapeSumName(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 == len(s) {
			return "", fmt.Errorf("sidecar file name %.100q ends in a lone backslash", s)
		}
		i++
		switch s[i] {
		case '\\':
			b.WriteByte('\\')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		default:
			return "", fmt.Errorf("sidecar file name %.100q has unknown escape \\%c", s, s[i])
		}
	}
	return b.String(), nil
}

// SignatureBytes returns the content of a ".sig" file: the standard base64
// of sig and a newline, as `base64 -d f.sig > s.bin` expects.
func SignatureBytes(sig []byte) []byte {
	return append([]byte(base64.StdEncoding.EncodeToString(sig)), '\n')
}

// ParseSignature decodes a ".sig" file: standard base64 of a 64-byte
// Ed25519 signature. Line breaks and surrounding white space are ignored
// (`base64` wraps long lines; editors add newlines).
func ParseSignature(data []byte) ([]byte, error) {
	compact := bytes.Join(bytes.Fields(data), nil)
	if len(compact) == 0 {
		return nil, errors.New("signature file is empty")
	}
	sig, err := base64.StdEncoding.DecodeString(string(compact))
	if err != nil {
		return nil, fmt.Errorf("signature is not valid base64: %w", err)
	}
	if len(sig) != ed25519.SignatureSize {
		return nil, fmt.Errorf("signature has %d bytes, an Ed25519 signature has %d", len(sig), ed25519.SignatureSize)
	}
	return sig, nil
}
