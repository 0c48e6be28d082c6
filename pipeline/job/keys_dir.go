package job

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/ownerdir"
	"github.com/ledgerlens/ledgerlens/reports"
)

// ErrUnsafeKeysDir is matched (errors.Is) by the error of reading the
// root's keys from a keys directory that is not the jobs' account's
// alone (docs/COMPLIANCE.md, "The keys directory"): someone who may write
// the state directory renamed the keys directory away and put one of
// their own in its place, with a key pair they made and an audit log
// they signed with it, and every job signed with their key while every
// check on the host passed (an outside review). Nothing is signed or
// checked with the keys of such a directory.
var ErrUnsafeKeysDir = errors.New("the keys directory cannot be trusted")

// keysDirKind is the keys directory to package ownerdir.
var keysDirKind = ownerdir.Kind{
	What:   "keys directory",
	Remedy: "put back the keys directory the account that runs the jobs made (moved aside, or from its backup), then run 'ledgerlens verify all --pubkey' with the public key you obtained out of band",
	Err:    ErrUnsafeKeysDir,
	// On a mount of its own, which is how a keys directory that must
	// live elsewhere is put in place (a link is refused).
	LostFound: true,
}

// readKeysDir opens the root's keys directory, checks it (ownerdir: the
// directory and every entry the jobs' account's, writable by it alone;
// this account's own, or the state directory's owner's), and returns
// what read makes of it, reading through the handle it checked. A
// directory that cannot be trusted is an *IntegrityError (exit 4); a
// missing one an error wrapping fs.ErrNotExist.
func readKeysDir[T any](l inputs.Layout, read func(d *ownerdir.Dir) (T, error)) (T, error) {
	var zero T
	d, err := ownerdir.Open(l.KeysDir, keysDirKind, false)
	if err != nil {
		return zero, unsafeKeysDir(err)
	}
	defer d.Close()
	return read(d)
}

// keysDirError is the IntegrityError of a keys directory that cannot be
// trusted; it matches ErrUnsafeKeysDir too.
type keysDirError struct{ IntegrityError }

// unsafeKeysDir is err, an open of the keys directory's, as a
// *keysDirError (exit 4) when it says the directory cannot be trusted.
func unsafeKeysDir(err error) error {
	if errors.Is(err, ErrUnsafeKeysDir) {
		return &keysDirError{IntegrityError{Problems: []string{err.Error()}}}
	}
	return err
}

func (e *keysDirError) Is(target error) bool {
	return target == ErrUnsafeKeysDir || e.IntegrityError.Is(target)
}

// CreateKeysDir creates the root's keys directory, mode 0700, and claims
// it (ownerdir.Dir.Claim) before any key is written there: made in a
// state directory shared through a default ACL, it took the ACL, the key
// files took the ACL's permissions, and every job then refused the
// directory that `keys generate` had just made (an outside review). An
// existing directory is left as it is, and checked.
func CreateKeysDir(l inputs.Layout) error {
	err := os.Mkdir(l.KeysDir, 0o700)
	if errors.Is(err, fs.ErrExist) {
		return CheckKeysDir(l)
	}
	if err != nil {
		return fmt.Errorf("create the keys directory: %w", err)
	}
	d, err := ownerdir.OpenWith(l.KeysDir, keysDirKind, true, func(d *ownerdir.Dir) error { return d.Claim(0o700) })
	if err != nil {
		return unsafeKeysDir(err)
	}
	return d.Close()
}

// CheckKeysDir checks the root's keys directory as every read of its keys
// does (readKeysDir): nil when it is missing; an *IntegrityError matching
// ErrUnsafeKeysDir when it cannot be trusted. `keys generate` checks it
// before it writes a key there.
func CheckKeysDir(l inputs.Layout) error {
	_, err := readKeysDir(l, func(*ownerdir.Dir) (struct{}, error) { return struct{}{}, nil })
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// keysDirOwnedByThisAccount reports whether the root's keys directory
// passes its checks (readKeysDir) and is owned by the account running
// ledgerlens.
func keysDirOwnedByThisAccount(l inputs.Layout) bool {
	uid, err := readKeysDir(l, func(d *ownerdir.Dir) (uint32, error) { return d.UID(), nil })
	return err == nil && int(uid) == os.Geteuid()
}

// mayReadSigningKey reports whether this account may read the root's
// private signing key: the jobs' account (or root), which the checks of
// what keeps the jobs from running, or lets others change their rules,
// are said to; an auditor, given no key, is not told of them.
func mayReadSigningKey(l inputs.Layout) bool {
	return unix.Faccessat(unix.AT_FDCWD, filepath.Join(l.KeysDir, reports.PrivateKeyFile), unix.R_OK, unix.AT_EACCESS) == nil
}

// RootPublicKey reads the root's signing.pub from its checked keys
// directory; nil (no error) when absent.
func RootPublicKey(l inputs.Layout) (ed25519.PublicKey, error) {
	pub, err := readKeysDir(l, func(d *ownerdir.Dir) (ed25519.PublicKey, error) {
		return reports.LoadPublicKeyAs(d.Path(reports.PublicKeyFile), d.Name(reports.PublicKeyFile))
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return pub, err
}

// loadRootKey reads the root's private signing key from its checked keys
// directory. A missing key (or keys directory) is an error wrapping
// fs.ErrNotExist; a directory that cannot be trusted an *IntegrityError.
func loadRootKey(l inputs.Layout) (*reports.Signer, error) {
	return readKeysDir(l, func(d *ownerdir.Dir) (*reports.Signer, error) {
		if _, err := os.Lstat(d.Path(reports.PrivateKeyFile)); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("signing key %s: %w", d.Name(reports.PrivateKeyFile), fs.ErrNotExist)
		}
		return reports.LoadSignerAs(d.Path(reports.PrivateKeyFile), d.Name(reports.PrivateKeyFile))
	})
}
