package baselines

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"
	"unicode"

	"golang.org/x/crypto/ssh"

	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
)

// Namespace is the SSHSIG namespace of every proposal and approval
// signature: `ssh-keygen -Y sign -n ledgerlens-baseline` makes one, and a
// signature made for any other purpose (git commits, files) is refused.
const Namespace = "ledgerlens-baseline"

// ApproversFile is the name of the approvers file next to the baselines
// file: config/approvers.
const ApproversFile = "approvers"

// Approver is one line of the approvers file: the people (principals) a
// public key speaks for, and the options that limit it.
type Approver struct {
	Principals []string
	Key        ssh.PublicKey
	// Namespaces is the namespaces="…" option; nil when absent (any).
	Namespaces []string
	// ValidAfter and ValidBefore bound when a signature by the key is
	// accepted; zero when absent.
	ValidAfter, ValidBefore time.Time
	Line                    int
}

// Approvers is an OpenSSH allowed_signers file (the format `ssh-keygen -Y
// verify -f` reads, see ssh-keygen(1) ALLOWED SIGNERS): one line per key,
// "principal[,principal…] [options] keytype base64-key [comment]". It
// says which people may propose and approve baseline changes and with
// which keys.
type Approvers struct {
	Path    string
	SHA256  string // of the file's bytes, recorded with each approval
	Entries []Approver
}

// LoadApprovers reads the approvers file at path. A missing file is an
// error that says how to make one: without it nobody can be identified.
func LoadApprovers(path string) (*Approvers, error) {
	data, err := inputs.ReadRegular(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no approvers file at %s: list each person who may propose or approve baselines, one line per SSH public key, "+
			`as in "alice namespaces=\"%s\" ssh-ed25519 AAAA…" (the OpenSSH allowed_signers format)`, path, Namespace)
	}
	if err != nil {
		return nil, fmt.Errorf("read approvers: %w", err)
	}
	return ParseApprovers(path, data)
}

// ParseApprovers parses the bytes of an approvers file; name is used in
// errors, which give its line. Principal patterns (*, ?, !) and
// cert-authority lines are refused: an approver is a named person with a
// key of their own.
func ParseApprovers(name string, data []byte) (*Approvers, error) {
	sum := sha256.Sum256(data)
	a := &Approvers{Path: name, SHA256: hex.EncodeToString(sum[:])}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		e, err := parseApproverLine(line)
		if err != nil {
			return nil, fmt.Errorf("approvers %s line %d: %w", name, n, err)
		}
		e.Line = n
		a.Entries = append(a.Entries, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("approvers %s line %d: %w", name, n+1, err)
	}
	if len(a.Entries) == 0 {
		return nil, fmt.Errorf("approvers %s: lists no keys", name)
	}
	return a, nil
}

func parseApproverLine(line string) (Approver, error) {
	var e Approver
	var principals, rest string
	if strings.HasPrefix(line, `"`) {
		end := strings.IndexByte(line[1:], '"')
		if end < 0 {
			return e, errors.New("unterminated quoted principals")
		}
		principals, rest = line[1:end+1], line[end+2:]
	} else {
		i := strings.IndexAny(line, " \t")
		if i < 0 {
			return e, errors.New("no public key after the principals")
		}
		principals, rest = line[:i], line[i:]
	}
	for _, p := range strings.Split(principals, ",") {
		if err := checkPrincipal(p); err != nil {
			return e, err
		}
		e.Principals = append(e.Principals, p)
	}
	key, _, options, _, err := ssh.ParseAuthorizedKey([]byte(strings.TrimSpace(rest)))
	if err != nil {
		return e, fmt.Errorf("public key: %w", err)
	}
	e.Key = key
	for _, o := range options {
		name, value, hasValue := strings.Cut(o, "=")
		value = strings.Trim(value, `"`)
		switch strings.ToLower(name) {
		case "namespaces":
			if !hasValue {
				return e, errors.New("namespaces needs a value")
			}
			e.Namespaces = strings.Split(value, ",")
		case "valid-after", "valid-before":
			t, err := parseSignerTime(value)
			if err != nil {
				return e, fmt.Errorf("%s: %w", name, err)
			}
			if strings.EqualFold(name, "valid-after") {
				e.ValidAfter = t
			} else {
				e.ValidBefore = t
			}
		case "cert-authority":
			return e, errors.New("cert-authority lines are not supported: list each approver's own key")
		default:
			return e, fmt.Errorf("unknown option %q", o)
		}
	}
	return e, nil
}

// checkPrincipal refuses names that are patterns or that could not be
// written into a record and a note as one plain word.
func checkPrincipal(p string) error {
	if p == "" {
		return errors.New("empty principal")
	}
	if strings.ContainsAny(p, "*?!") {
		return fmt.Errorf("principal %q is a pattern: name each approver", p)
	}
	for _, r := range p {
		if unicode.IsControl(r) || unicode.IsSpace(r) || r == '"' || r == '\\' {
			return fmt.Errorf("principal %q contains a space, quote, backslash or control character", p)
		}
	}
	return nil
}

// parseSignerTime reads an allowed_signers time, YYYYMMDD[HHMM[SS]]Z.
// Only UTC (a trailing Z) is accepted: ssh-keygen reads a time without Z
// in the verifier's local zone, which would make the check depend on the
// machine.
func parseSignerTime(v string) (time.Time, error) {
	s, ok := strings.CutSuffix(v, "Z")
	if !ok {
		return time.Time{}, fmt.Errorf("time %q: write it in UTC with a trailing Z (YYYYMMDD[HHMM[SS]]Z)", v)
	}
	for _, layout := range []string{"20060102150405", "200601021504", "20060102"} {
		if len(s) == len(layout) {
			if t, err := time.Parse(layout, s); err == nil {
				return t, nil
			}
		}
	}
	return time.Time{}, fmt.Errorf("time %q: want YYYYMMDD[HHMM[SS]]Z", v)
}

// allows reports whether the entry accepts a signature in namespace at t
// (t zero: no time bound checked).
func (e Approver) allows(namespace string, t time.Time) bool {
	if e.Namespaces != nil {
		ok := false
		for _, n := range e.Namespaces {
			if neg, isNeg := strings.CutPrefix(n, "!"); isNeg {
				if m, _ := path.Match(neg, namespace); m {
					return false
				}
				continue
			}
			if m, _ := path.Match(n, namespace); m {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	if !t.IsZero() {
		if !e.ValidAfter.IsZero() && t.Before(e.ValidAfter) {
			return false
		}
		if !e.ValidBefore.IsZero() && !t.Before(e.ValidBefore) {
			return false
		}
	}
	return true
}

// PrincipalsOf returns the principals key may sign for in Namespace at t,
// in file order without repeats.
func (a *Approvers) PrincipalsOf(key ssh.PublicKey, t time.Time) []string {
	want := key.Marshal()
	var out []string
	seen := map[string]bool{}
	for _, e := range a.Entries {
		if !bytes.Equal(e.Key.Marshal(), want) || !e.allows(Namespace, t) {
			continue
		}
		for _, p := range e.Principals {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// Lists reports whether principal has at least one key in the file.
func (a *Approvers) Lists(principal string) bool {
	for _, e := range a.Entries {
		for _, p := range e.Principals {
			if p == principal {
				return true
			}
		}
	}
	return false
}

// Names returns every principal in the file, in file order.
func (a *Approvers) Names() []string {
	var out []string
	seen := map[string]bool{}
	for _, e := range a.Entries {
		for _, p := range e.Principals {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// Identity is who a verified signature speaks for.
type Identity struct {
	Principal   string
	Fingerprint string // ssh.FingerprintSHA256 of the key, "SHA256:…"
	Key         ssh.PublicKey
}

// identify picks the principal a key signs for: the only one the file
// lists for it, or by when the key is listed for several. by naming a
// person the key is not listed for is a *Refusal: a name is never taken
// from the command line over the key.
func (a *Approvers) identify(key ssh.PublicKey, by string, t time.Time) (Identity, error) {
	fp := ssh.FingerprintSHA256(key)
	id := Identity{Fingerprint: fp, Key: key}
	names := a.PrincipalsOf(key, t)
	by = strings.TrimSpace(by)
	switch {
	case len(names) == 0 && len(a.PrincipalsOf(key, time.Time{})) > 0:
		// Listed, but out of its validity: "not listed" was untrue (an
		// outside review).
		return id, refusef("key %s of %s is listed in %s, but not valid at %s (its valid-after or valid-before): a retired key signs nothing new",
			fp, strings.Join(a.PrincipalsOf(key, time.Time{}), ", "), a.Path, t.UTC().Format(time.RFC3339))
	case len(names) == 0:
		return id, refusef("key %s is not listed in %s for namespace %q: only the people listed there may propose or approve baselines",
			fp, a.Path, Namespace)
	case by != "":
		for _, n := range names {
			if n == by {
				id.Principal = n
				return id, nil
			}
		}
		return id, refusef("--by %q names someone else: key %s belongs to %s in %s; the name comes from the key, not from --by",
			by, fp, strings.Join(names, ", "), a.Path)
	case len(names) > 1:
		return id, refusef("key %s is listed for %s in %s: say which of them you are with --by", fp, strings.Join(names, ", "), a.Path)
	}
	id.Principal = names[0]
	return id, nil
}

// Refusal is a signature or identity the maker-checker rules do not
// accept. Callers report it as a refused (blocked) job: nothing changed.
type Refusal struct{ Reason string }

func (r *Refusal) Error() string { return r.Reason }

func refusef(format string, args ...any) error { return &Refusal{Reason: fmt.Sprintf(format, args...)} }
