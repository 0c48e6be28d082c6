package reports

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// sumOfABC is the SHA-256 of "abc".
const sumOfABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

func TestSidecarBytes(t *testing.T) {
	tests := []struct {
		name string
		want string
	}{
		{"weekly_2026-11-16.json", sumOfABC + "  weekly_2026-11-16.json\n"},
		{"runs/CREDIT_REVIEWS/weekly_2026-11-16.xlsx", sumOfABC + "  weekly_2026-11-16.xlsx\n"},
		{"we\\ird.json", `\` + sumOfABC + `  we\\ird.json` + "\n"},
		{"new\nline", `\` + sumOfABC + `  new\nline` + "\n"},
	}
	for _, tt := range tests {
		got := SidecarBytes(tt.name, []byte("abc"))
		if string(got) != tt.want {
			t.Errorf("SidecarBytes(%q) = %q, want %q", tt.name, got, tt.want)
		}
		sc, err := ParseSidecar(got)
		if err != nil || sc.SHA256 != sumOfABC || sc.Name != filepath.Base(tt.name) {
			t.Errorf("ParseSidecar(SidecarBytes(%q)) = %+v, %v", tt.name, sc, err)
		}
	}
}

func TestParseSidecar(t *testing.T) {
	upper := strings.ToUpper(sumOfABC)
	tests := []struct {
		in      string
		want    Sidecar
		wantErr string
	}{
		{in: sumOfABC + "  f.json\n", want: Sidecar{sumOfABC, "f.json"}},
		{in: sumOfABC + "  f.json", want: Sidecar{sumOfABC, "f.json"}},
		{in: sumOfABC + " *f.json\n", want: Sidecar{sumOfABC, "f.json"}},
		{in: upper + "  f.json\n", want: Sidecar{sumOfABC, "f.json"}},
		{in: sumOfABC + "  name with spaces.json\n", want: Sidecar{sumOfABC, "name with spaces.json"}},
		{in: "", wantErr: "empty"},
		{in: "\n", wantErr: "too short"},
		{in: sumOfABC[:60] + "  f.json\n", wantErr: "not 64 hex digits"},
		{in: strings.Replace(sumOfABC, "b", "g", 1) + "  f.json\n", wantErr: "hex"},
		{in: sumOfABC + " f.json\n", wantErr: "two spaces"},
		{in: sumOfABC + "  \n", wantErr: "names no file"},
		{in: sumOfABC + "  f.json\n" + sumOfABC + "  g.json\n", wantErr: "more than one line"},
		{in: `\` + sumOfABC + `  bad\q` + "\n", wantErr: "unknown escape"},
	}
	for _, tt := range tests {
		got, err := ParseSidecar([]byte(tt.in))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseSidecar(%q) = %+v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseSidecar(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

// TestSidecarWithSha256sum checks `sha256sum -c` accepts our sidecars and
// catches a change, as docs/COMPLIANCE.md, "Integrity" promises.
func TestSidecarWithSha256sum(t *testing.T) {
	if _, err := exec.LookPath("sha256sum"); err != nil {
		t.Skip("sha256sum not on PATH")
	}
	for _, name := range []string{"weekly_2026-11-16.json", `odd\name.json`} {
		dir := t.TempDir()
		data := []byte("report body\n")
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".sha256"), SidecarBytes(name, data), 0o644); err != nil {
			t.Fatal(err)
		}
		check := func() (string, error) {
			cmd := exec.Command("sha256sum", "-c", name+".sha256")
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			return string(out), err
		}
		if out, err := check(); err != nil {
			t.Errorf("%s: sha256sum -c rejects our sidecar: %v\n%s", name, err, out)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte("report bodY\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := check(); err == nil {
			t.Errorf("%s: sha256sum -c accepts a modified file:\n%s", name, out)
		}
	}
}

func TestSignatureBytes(t *testing.T) {
	sig := ed25519.Sign(ed25519.NewKeyFromSeed(make([]byte, 32)), []byte("abc"))
	enc := SignatureBytes(sig)
	if !bytes.HasSuffix(enc, []byte("\n")) || bytes.Count(enc, []byte("\n")) != 1 || len(enc) != 89 {
		t.Errorf("SignatureBytes = %q, want 88 base64 characters and one newline", enc)
	}
	b64 := base64.StdEncoding.EncodeToString(sig)
	tests := []struct {
		in      string
		wantErr string
	}{
		{in: string(enc)},
		{in: b64},
		{in: b64 + "\r\n"},
		{in: b64[:76] + "\n" + b64[76:] + "\n"}, // as `base64` wraps it
		{in: "", wantErr: "empty"},
		{in: "\n", wantErr: "empty"},
		{in: "!!!!", wantErr: "base64"},
		{in: base64.StdEncoding.EncodeToString(sig[:32]), wantErr: "has 32 bytes"},
	}
	for _, tt := range tests {
		got, err := ParseSignature([]byte(tt.in))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseSignature(%q) = %v; want error containing %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !bytes.Equal(got, sig) {
			t.Errorf("ParseSignature(%q) = %x, %v", tt.in, got, err)
		}
	}
}
