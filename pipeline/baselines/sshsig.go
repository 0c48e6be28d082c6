package baselines

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strings"
	"time"

	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// SignatureExt is the extension of a person's SSHSIG signature of a
// record, published next to it: proposal_<id>.sshsig covers the bytes of
// proposal_<id>.json, as `ssh-keygen -Y verify -s proposal_<id>.sshsig <
// proposal_<id>.json` checks.
const SignatureExt = ".sshsig"

// Verify checks an armored SSHSIG signature (as `ssh-keygen -Y sign`
// writes it) of data against the approvers file and returns whom it
// identifies. by, when not empty, must be one of the key's principals.
// t is the record's time, checked against valid-after/valid-before.
// A signature that does not verify is a *Refusal saying why.
func (a *Approvers) Verify(data, armored []byte, by string, t time.Time) (Identity, error) {
	sig, err := sshsig.Unarmor(armored)
	if err != nil {
		return Identity{}, refusef("not an SSH signature (want the armored file `ssh-keygen -Y sign` writes): %v", err)
	}
	if sig.Namespace != Namespace {
		return Identity{}, refusef("signature is for namespace %q, not %q: sign with `ssh-keygen -Y sign -n %s`", sig.Namespace, Namespace, Namespace)
	}
	id, err := a.identify(sig.PublicKey, by, t)
	if err != nil {
		return id, err
	}
	if sig.Signature.Format == ssh.KeyAlgoRSA {
		// As ssh-keygen: an SSHSIG over RSA is rsa-sha2-256/512, never SHA-1.
		return id, refusef("signature by %s (%s) uses ssh-rsa (SHA-1), which SSH signatures do not allow", id.Principal, id.Fingerprint)
	}
	if err := sshsig.Verify(bytes.NewReader(data), sig, sig.PublicKey, sig.HashAlgorithm, Namespace); err != nil {
		return id, refusef("signature by %s (%s) does not match the record's bytes: the record was changed after it was signed, or another record was signed (%v)",
			id.Principal, id.Fingerprint, err)
	}
	return id, nil
}

// Signing says how the person making a proposal or approval signs it:
// with a private key file, through a running ssh-agent, or by signing the
// printed record themselves with `ssh-keygen -Y sign` and handing the
// signature back.
type Signing struct {
	// By is the name the person gives (--by); optional. It only chooses
	// among the principals the approvers file lists for the key; naming
	// anyone else is refused.
	By string
	// KeyFile is an OpenSSH private key (--sign-with); it must not be
	// passphrase-protected (use an agent for those).
	KeyFile string
	// AgentSocket is SSH_AUTH_SOCK; the agent is asked when neither
	// KeyFile nor SignatureFile is given.
	AgentSocket string
	// SignatureFile is a signature made by `ssh-keygen -Y sign -n
	// ledgerlens-baseline` over RecordFile (--signature).
	SignatureFile string
	// RecordFile is the record that SignatureFile signs; "" means
	// SignatureFile without its ".sig".
	RecordFile string
	// PrintRecord asks only for the record to sign; nothing is published.
	PrintRecord bool
}

// Signed is a record and its signer's signature.
type Signed struct {
	Data      []byte
	Signature []byte // armored SSHSIG; nil when only printed
	Identity  Identity
}

// Builder renders the record a person signs for principal. signed is the
// record the person already signed (--signature) or nil; a builder given
// one rebuilds it from the same instant (its proposed_at or approved_at),
// so the two can be compared byte for byte.
type Builder func(principal string, signed []byte) ([]byte, error)

// Sign produces the signed record: it builds the record for the signing
// person and signs it (key file or agent), or checks the person's own
// signature of a printed record against what ledgerlens builds now. t is
// the signing instant, checked against the key's validity. With
// PrintRecord it returns the unsigned record for the person named by By.
func (s Signing) Sign(ctx context.Context, a *Approvers, t time.Time, build Builder) (Signed, error) {
	switch {
	case s.PrintRecord:
		by := strings.TrimSpace(s.By)
		if by == "" {
			return Signed{}, errors.New("--print-record needs --by NAME: the record names who signs it")
		}
		if !a.Lists(by) {
			return Signed{}, refusef("%q is not listed in %s (listed: %s): only the people listed there may propose or approve baselines",
				by, a.Path, strings.Join(a.Names(), ", "))
		}
		data, err := build(by, nil)
		return Signed{Data: data, Identity: Identity{Principal: by}}, err
	case s.SignatureFile != "":
		return s.checkSigned(a, t, build)
	}
	signer, closeAgent, err := s.signer(ctx, a, t)
	if err != nil {
		return Signed{}, err
	}
	defer closeAgent()
	id, err := a.identify(signer.PublicKey(), s.By, t)
	if err != nil {
		return Signed{}, err
	}
	data, err := build(id.Principal, nil)
	if err != nil {
		return Signed{}, err
	}
	sig, err := sshsig.Sign(bytes.NewReader(data), signer, sshsig.HashSHA512, Namespace)
	if err != nil {
		return Signed{}, fmt.Errorf("sign the record as %s (%s): %w", id.Principal, id.Fingerprint, err)
	}
	return Signed{Data: data, Signature: sshsig.Armor(sig), Identity: id}, nil
}

// checkSigned reads a record and the person's signature of it, verifies
// the signature and requires the record to be exactly what ledgerlens
// builds for that person from the same instant.
func (s Signing) checkSigned(a *Approvers, t time.Time, build Builder) (Signed, error) {
	recordFile := s.RecordFile
	if recordFile == "" {
		var ok bool
		if recordFile, ok = strings.CutSuffix(s.SignatureFile, ".sig"); !ok {
			return Signed{}, fmt.Errorf("--signature %s: name the signed record with --record FILE (the signature's name does not end in .sig)", s.SignatureFile)
		}
	}
	sig, err := os.ReadFile(s.SignatureFile)
	if err != nil {
		return Signed{}, fmt.Errorf("read signature: %w", err)
	}
	data, err := os.ReadFile(recordFile)
	if errors.Is(err, fs.ErrNotExist) {
		return Signed{}, fmt.Errorf("read the signed record: %w (pass --record FILE if it is elsewhere)", err)
	}
	if err != nil {
		return Signed{}, fmt.Errorf("read the signed record: %w", err)
	}
	id, err := a.Verify(data, sig, s.By, t)
	if err != nil {
		var r *Refusal
		if errors.As(err, &r) {
			return Signed{}, refusef("%s over %s: %s", s.SignatureFile, recordFile, r.Reason)
		}
		return Signed{}, err
	}
	want, err := build(id.Principal, data)
	if err != nil {
		return Signed{}, err
	}
	if !bytes.Equal(want, data) {
		return Signed{}, refusef("%s is signed by %s but is not the record ledgerlens makes now (%s): print the record again with --print-record, sign it, and hand it back",
			recordFile, id.Principal, firstDifference(want, data))
	}
	return Signed{Data: data, Signature: sig, Identity: id}, nil
}

// firstDifference names the first line where got differs from want.
func firstDifference(want, got []byte) string {
	wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d is %q, want %q", i+1, strings.TrimSpace(g), strings.TrimSpace(w))
		}
	}
	return "identical"
}

// signer returns the person's key: the key file, or the one key in the
// agent that the approvers file lists (for By, when given).
func (s Signing) signer(ctx context.Context, a *Approvers, t time.Time) (ssh.Signer, func(), error) {
	nop := func() {}
	if s.KeyFile != "" {
		data, err := os.ReadFile(s.KeyFile)
		if err != nil {
			return nil, nop, fmt.Errorf("read signing key: %w", err)
		}
		signer, err := ssh.ParsePrivateKey(data)
		var missing *ssh.PassphraseMissingError
		if errors.As(err, &missing) {
			return nil, nop, fmt.Errorf("signing key %s is protected by a passphrase: add it to ssh-agent (ssh-add %s) and leave out --sign-with, or sign the --print-record output with `ssh-keygen -Y sign -n %s`",
				s.KeyFile, s.KeyFile, Namespace)
		}
		if err != nil {
			return nil, nop, fmt.Errorf("signing key %s: %w", s.KeyFile, err)
		}
		return signer, nop, nil
	}
	if s.AgentSocket == "" {
		return nil, nop, fmt.Errorf("no signature: sign with your SSH key listed in %s — --sign-with ~/.ssh/id_ed25519, a running ssh-agent (SSH_AUTH_SOCK), "+
			"or --print-record > record.json, `ssh-keygen -Y sign -f KEY -n %s record.json`, then --signature record.json.sig", a.Path, Namespace)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", s.AgentSocket)
	if err != nil {
		return nil, nop, fmt.Errorf("ssh-agent at SSH_AUTH_SOCK %s: %w", s.AgentSocket, err)
	}
	closeConn := func() { conn.Close() }
	signers, err := agent.NewClient(conn).Signers()
	if err != nil {
		closeConn()
		return nil, nop, fmt.Errorf("ssh-agent at %s: list keys: %w", s.AgentSocket, err)
	}
	var match []ssh.Signer
	var who []string
	by := strings.TrimSpace(s.By)
	for _, sg := range signers {
		names := a.PrincipalsOf(sg.PublicKey(), t)
		for _, n := range names {
			if by == "" || n == by {
				match = append(match, sg)
				who = append(who, n+" ("+ssh.FingerprintSHA256(sg.PublicKey())+")")
				break
			}
		}
	}
	switch {
	case len(match) == 1:
		return match[0], closeConn, nil
	case len(match) == 0 && by != "":
		closeConn()
		return nil, nop, refusef("ssh-agent holds no key that %s lists for %s", a.Path, by)
	case len(match) == 0:
		closeConn()
		return nil, nop, refusef("ssh-agent holds %d keys, none of them listed in %s", len(signers), a.Path)
	}
	closeConn()
	return nil, nop, fmt.Errorf("ssh-agent holds keys of several approvers (%s): say which one you are with --by, or use --sign-with", strings.Join(who, ", "))
}

// MaxSignedAge is how old a record signed by hand may be when it is handed
// back: its time (proposed_at, approved_at) is when the maker-checker
// clock reads it, so it must be recent.
const MaxSignedAge = 24 * time.Hour

// HandSigned is a record a person signed with `ssh-keygen -Y sign`.
type HandSigned struct {
	Data []byte
	At   time.Time // the record's time field
}

// ReadHandSigned reads the record of a --signature (nil when Signing has
// none) and its time field (proposed_at or approved_at), which must lie in
// the MaxSignedAge before now.
func (s Signing) ReadHandSigned(field string, now time.Time) (*HandSigned, error) {
	if s.SignatureFile == "" {
		return nil, nil
	}
	recordFile := s.RecordFile
	if recordFile == "" {
		recordFile = strings.TrimSuffix(s.SignatureFile, ".sig")
	}
	data, err := os.ReadFile(recordFile)
	if err != nil {
		return nil, fmt.Errorf("read the signed record: %w (pass --record FILE if it is elsewhere)", err)
	}
	var fields map[string]any
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, refusef("signed record %s: %v", recordFile, err)
	}
	v, _ := fields[field].(string)
	at, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return nil, refusef("signed record %s: %s %q is not an RFC 3339 time", recordFile, field, v)
	}
	if at.After(now.Add(time.Minute)) || now.Sub(at) > MaxSignedAge {
		return nil, refusef("signed record %s: %s %s is not within the %s before now (%s): print the record again, sign it, and hand it back",
			recordFile, field, v, MaxSignedAge, formatTime(now))
	}
	return &HandSigned{Data: data, At: at.UTC()}, nil
}
