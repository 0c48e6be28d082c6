package baselines

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// sshKey makes an ed25519 key pair with the stock ssh-keygen and returns
// the private key's path; the test is skipped when ssh-keygen is absent.
func sshKey(t *testing.T, dir, name string) string {
	t.Helper()
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("ssh-keygen not installed")
	}
	path := filepath.Join(dir, name)
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -t ed25519: %v\n%s", err, out)
	}
	return path
}

// approverLine is the approvers-file line for name's key.
func approverLine(t *testing.T, name, key string) string {
	t.Helper()
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return name + ` namespaces="` + Namespace + `" ` + strings.TrimSpace(string(pub)) + "\n"
}

// stockSign signs file with `ssh-keygen -Y sign`, writing file.sig.
func stockSign(t *testing.T, key, namespace, file string) string {
	t.Helper()
	if out, err := exec.Command("ssh-keygen", "-Y", "sign", "-f", key, "-n", namespace, file).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -Y sign: %v\n%s", err, out)
	}
	return file + ".sig"
}

// stockVerify runs `ssh-keygen -Y verify` as docs/COMPLIANCE.md shows.
func stockVerify(approvers, principal, sig string, data []byte) error {
	cmd := exec.Command("ssh-keygen", "-Y", "verify", "-f", approvers, "-I", principal, "-n", Namespace, "-s", sig)
	cmd.Stdin = bytes.NewReader(data)
	if out, err := cmd.CombinedOutput(); err != nil {
		return errors.New(strings.TrimSpace(string(out)))
	}
	return nil
}

type people struct {
	dir                 string
	alice, bob, mallory string // private key paths
	approvers           *Approvers
	approversPath       string
	shared              string // key listed for both carol and dave
	at                  time.Time
}

func newPeople(t *testing.T) people {
	t.Helper()
	dir := t.TempDir()
	p := people{dir: dir, at: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	p.alice, p.bob, p.mallory, p.shared = sshKey(t, dir, "alice"), sshKey(t, dir, "bob"), sshKey(t, dir, "mallory"), sshKey(t, dir, "shared")
	content := "# people who may propose and approve baselines\n" + approverLine(t, "alice", p.alice) + approverLine(t, "bob", p.bob) +
		approverLine(t, "carol,dave", p.shared)
	p.approversPath = filepath.Join(dir, "approvers")
	if err := os.WriteFile(p.approversPath, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := LoadApprovers(p.approversPath)
	if err != nil {
		t.Fatal(err)
	}
	p.approvers = a
	return p
}

func recordBuilder(principal string, _ []byte) ([]byte, error) {
	return []byte(`{"schema":"test","by":"` + principal + `"}` + "\n"), nil
}

func TestSignAndVerifyWithRealKeys(t *testing.T) {
	p := newPeople(t)
	ctx := context.Background()

	// ledgerlens signs with alice's key file; the principal comes from the key.
	signed, err := Signing{KeyFile: p.alice}.Sign(ctx, p.approvers, p.at, recordBuilder)
	if err != nil {
		t.Fatal(err)
	}
	if signed.Identity.Principal != "alice" || !strings.Contains(string(signed.Data), `"by":"alice"`) ||
		!strings.HasPrefix(signed.Identity.Fingerprint, "SHA256:") {
		t.Fatalf("signed %+v", signed.Identity)
	}
	if id, err := p.approvers.Verify(signed.Data, signed.Signature, "alice", p.at); err != nil || id.Principal != "alice" {
		t.Fatalf("verify own signature: %+v %v", id, err)
	}
	sigFile := filepath.Join(p.dir, "rec.sshsig")
	os.WriteFile(sigFile, signed.Signature, 0o644)

	t.Run("stock ssh-keygen -Y verify accepts ledgerlens's signature", func(t *testing.T) {
		if err := stockVerify(p.approversPath, "alice", sigFile, signed.Data); err != nil {
			t.Fatal(err)
		}
		if err := stockVerify(p.approversPath, "bob", sigFile, signed.Data); err == nil {
			t.Fatal("ssh-keygen accepted alice's signature as bob's")
		}
	})

	refusals := []struct {
		name string
		run  func() error
		want string
	}{
		{"signature over different bytes", func() error {
			_, err := p.approvers.Verify(append([]byte("x"), signed.Data...), signed.Signature, "", p.at)
			return err
		}, "does not match the record's bytes"},
		{"key not in approvers", func() error {
			_, err := Signing{KeyFile: p.mallory}.Sign(ctx, p.approvers, p.at, recordBuilder)
			return err
		}, "is not listed in"},
		{"--by naming someone else", func() error {
			_, err := Signing{KeyFile: p.alice, By: "bob"}.Sign(ctx, p.approvers, p.at, recordBuilder)
			return err
		}, `--by "bob" names someone else: key SHA256:`},
		{"key listed for two names without --by", func() error {
			_, err := Signing{KeyFile: p.shared}.Sign(ctx, p.approvers, p.at, recordBuilder)
			return err
		}, "carol, dave"},
		{"print-record for someone not listed", func() error {
			_, err := Signing{PrintRecord: true, By: "mallory"}.Sign(ctx, p.approvers, p.at, recordBuilder)
			return err
		}, `"mallory" is not listed`},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			var r *Refusal
			if !errors.As(err, &r) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want a refusal containing %q", err, tt.want)
			}
		})
	}
	if s, err := (Signing{KeyFile: p.shared, By: "dave"}).Sign(ctx, p.approvers, p.at, recordBuilder); err != nil || s.Identity.Principal != "dave" {
		t.Errorf("--by choosing among the key's names: %+v %v", s.Identity, err)
	}

	t.Run("a record signed with stock ssh-keygen -Y sign is accepted", func(t *testing.T) {
		printed, err := Signing{PrintRecord: true, By: "bob"}.Sign(ctx, p.approvers, p.at, recordBuilder)
		if err != nil || printed.Signature != nil {
			t.Fatal(err)
		}
		rec := filepath.Join(p.dir, "bob.json")
		os.WriteFile(rec, printed.Data, 0o644)
		sig := stockSign(t, p.bob, Namespace, rec)
		got, err := Signing{SignatureFile: sig}.Sign(ctx, p.approvers, p.at, recordBuilder)
		if err != nil || got.Identity.Principal != "bob" || !bytes.Equal(got.Data, printed.Data) {
			t.Fatalf("hand-signed record: %+v %v", got.Identity, err)
		}
		// The same signature over a record that differs from what
		// ledgerlens builds is refused, naming the line.
		if _, err := (Signing{SignatureFile: sig}).Sign(ctx, p.approvers, p.at, func(string, []byte) ([]byte, error) {
			return []byte(`{"schema":"test","by":"bob","new_baseline":1}` + "\n"), nil
		}); err == nil || !strings.Contains(err.Error(), "is not the record ledgerlens makes now") {
			t.Errorf("record differing from the rebuild: %v", err)
		}
		// A record edited after signing.
		os.WriteFile(rec, bytes.Replace(printed.Data, []byte("bob"), []byte("bo0"), 1), 0o644)
		if _, err := (Signing{SignatureFile: sig}).Sign(ctx, p.approvers, p.at, recordBuilder); err == nil || !strings.Contains(err.Error(), "does not match") {
			t.Errorf("edited record: %v", err)
		}
		// A signature made for another namespace (a git commit signature).
		os.WriteFile(rec, printed.Data, 0o644)
		os.Remove(sig)
		gitSig := stockSign(t, p.bob, "git", rec)
		if _, err := (Signing{SignatureFile: gitSig}).Sign(ctx, p.approvers, p.at, recordBuilder); err == nil || !strings.Contains(err.Error(), `namespace "git"`) {
			t.Errorf("git-namespace signature: %v", err)
		}
	})

	t.Run("ssh-agent", func(t *testing.T) {
		sock := filepath.Join(p.dir, "agent.sock")
		l, err := net.Listen("unix", sock)
		if err != nil {
			t.Skipf("unix socket: %v", err)
		}
		defer l.Close()
		keyring := agent.NewKeyring()
		for _, k := range []string{p.bob, p.mallory} {
			data, _ := os.ReadFile(k)
			raw, err := ssh.ParseRawPrivateKey(data)
			if err != nil {
				t.Fatal(err)
			}
			if err := keyring.Add(agent.AddedKey{PrivateKey: raw}); err != nil {
				t.Fatal(err)
			}
		}
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				go func() { agent.ServeAgent(keyring, c); c.Close() }()
			}
		}()
		got, err := Signing{AgentSocket: sock}.Sign(ctx, p.approvers, p.at, recordBuilder)
		if err != nil || got.Identity.Principal != "bob" {
			t.Fatalf("agent signing: %+v %v", got.Identity, err)
		}
		if _, err := (Signing{AgentSocket: sock, By: "alice"}).Sign(ctx, p.approvers, p.at, recordBuilder); err == nil || !strings.Contains(err.Error(), "no key that") {
			t.Errorf("agent without alice's key, --by alice: %v", err)
		}
	})

	t.Run("an RSA key, both ways", func(t *testing.T) {
		key := filepath.Join(p.dir, "rsa")
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-C", "erin", "-f", key).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen -t rsa: %v\n%s", err, out)
		}
		file := filepath.Join(p.dir, "approvers-rsa")
		os.WriteFile(file, []byte(approverLine(t, "erin", key)), 0o644)
		a, err := LoadApprovers(file)
		if err != nil {
			t.Fatal(err)
		}
		signed, err := Signing{KeyFile: key}.Sign(ctx, a, p.at, recordBuilder)
		if err != nil {
			t.Fatal(err)
		}
		sig := filepath.Join(p.dir, "rsa.sshsig")
		os.WriteFile(sig, signed.Signature, 0o644)
		if err := stockVerify(file, "erin", sig, signed.Data); err != nil {
			t.Fatalf("ssh-keygen -Y verify of ledgerlens's RSA signature: %v", err)
		}
		rec := filepath.Join(p.dir, "erin.json")
		os.WriteFile(rec, signed.Data, 0o644)
		if got, err := (Signing{SignatureFile: stockSign(t, key, Namespace, rec)}).Sign(ctx, a, p.at, recordBuilder); err != nil || got.Identity.Principal != "erin" {
			t.Fatalf("ssh-keygen -Y sign with RSA: %+v %v", got.Identity, err)
		}
	})

	if _, err := (Signing{}).Sign(ctx, p.approvers, p.at, recordBuilder); err == nil || !strings.Contains(err.Error(), "--sign-with") {
		t.Errorf("no way to sign: %v", err)
	}
}

func TestParseApprovers(t *testing.T) {
	const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIqZT8+ZQqq1lOeBtR5qVHj3wVFhvRYHlAA4hCRpEg7A"
	a, err := ParseApprovers("approvers", []byte("# c\n\nalice "+key+" alice@laptop\n"+
		`"bob,bo" namespaces="git,ledgerlens-baseline",valid-after="20260101Z" `+key+"\n"+
		`carol namespaces="git" `+key+"\n"+
		`erin valid-before="20260201Z" `+key+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	k := a.Entries[0].Key
	at := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	if got := strings.Join(a.PrincipalsOf(k, at), ","); got != "alice,bob,bo" {
		t.Errorf("principals in March = %s (carol is git-only, erin expired)", got)
	}
	if got := strings.Join(a.PrincipalsOf(k, time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)), ","); got != "alice,erin" {
		t.Errorf("principals in December = %s (bob not yet valid)", got)
	}
	// A key listed only outside its validity is refused as such: "is not
	// listed" was untrue (an outside review).
	retired, err := ParseApprovers("approvers", []byte(`erin valid-before="20260201Z" `+key+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := retired.identify(k, "", at); err == nil || !strings.Contains(err.Error(), "of erin is listed in approvers, but not valid at 2026-03-02T00:00:00Z") {
		t.Errorf("an expired key: %v", err)
	}
	for _, tt := range []struct{ text, want string }{
		{"ops* " + key, "line 1: principal \"ops*\" is a pattern"},
		{"\n\nalice ssh-ed25519 AAAAnotbase64", "line 3: public key"},
		{"alice cert-authority " + key, "cert-authority"},
		{`alice valid-after="20260101" ` + key, "trailing Z"},
		{"alice", "no public key"},
		{"# only comments\n", "lists no keys"},
	} {
		if _, err := ParseApprovers("approvers", []byte(tt.text)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v, want %q", tt.text, err, tt.want)
		}
	}
	if _, err := LoadApprovers(filepath.Join(t.TempDir(), "approvers")); err == nil || !strings.Contains(err.Error(), "allowed_signers") {
		t.Errorf("missing approvers file: %v", err)
	}
}
