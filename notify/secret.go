package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
)

// errMuted is webhookURL's answer for a url_env variable that is set but
// empty: the runbook's kill switch, an operator's deliberate act, where an
// unset variable is a mistake.
var errMuted = errors.New("muted")

// webhookURL reads h's URL from its environment variable or its file
// (relative to root unless absolute). The file must be a regular file that
// only its owner can read or write (mode 0600 or stricter). A variable set
// to nothing (or blanks) gives errMuted; an unset one an error. Errors
// name the variable or file, never the URL.
func webhookURL(h inputs.Webhook, root string, lookupEnv func(string) (string, bool)) (string, error) {
	var raw string
	switch {
	case h.URLEnv != "":
		v, ok := lookupEnv(h.URLEnv)
		if !ok {
			return "", fmt.Errorf("webhook %s: environment variable %s is not set (set it to nothing to mute this receiver)", h.Name, h.URLEnv)
		}
		if strings.TrimSpace(v) == "" {
			return "", errMuted
		}
		raw = v
	case h.URLFile != "":
		path := h.URLFile
		if !filepath.IsAbs(path) {
			path = filepath.Join(root, path)
		}
		// Opened once, not following a link in its place, and checked and
		// read through that one descriptor: checked by name and read by
		// name again, a link swapped in between sent notifications to
		// another account's URL (an outside review).
		f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
		if errors.Is(err, syscall.ELOOP) {
			return "", fmt.Errorf("webhook %s: URL file %s is a symbolic link: name the file itself", h.Name, path)
		}
		if err != nil {
			return "", fmt.Errorf("webhook %s: URL file: %w", h.Name, err)
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return "", fmt.Errorf("webhook %s: URL file: %w", h.Name, err)
		}
		if !fi.Mode().IsRegular() {
			return "", fmt.Errorf("webhook %s: URL file %s is not a regular file", h.Name, path)
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			return "", fmt.Errorf("webhook %s: URL file %s has mode %04o, readable by others: chmod 600 it", h.Name, path, perm)
		}
		// Another account's file is not this account's secret: one who
		// could write the directory it lay in (the output directory) put
		// their own, mode 0600, in its place, and a job run as root sent
		// every notification to them (an outside review).
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
			return "", fmt.Errorf("webhook %s: URL file %s belongs to uid %d, not to the account running ledgerlens (uid %d): whoever owns it chooses where notifications go; chown it", h.Name, path, st.Uid, os.Geteuid())
		}
		data, err := io.ReadAll(io.LimitReader(f, 64<<10))
		if err != nil {
			return "", fmt.Errorf("webhook %s: URL file: %w", h.Name, errors.Unwrap(err))
		}
		raw = string(data)
	default:
		return "", fmt.Errorf("webhook %s: no url_env or url_file", h.Name)
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		// The parse error would quote the URL: say only what is wrong.
		return "", fmt.Errorf("webhook %s: the configured URL is not an http or https URL", h.Name)
	}
	return u.String(), nil
}

// redact drops the URL from an error of net/http, whose *url.Error quotes
// it, and its host from what it wraps (a failed lookup names the host,
// which may carry the secret): the rest (timeout, connection refused, no
// such host) is what an operator needs.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Errorf("%s: timed out: %w", ue.Op, context.DeadlineExceeded)
		}
		// A failed lookup names the host as it was looked up: for an
		// internationalised name, its ASCII form.
		var dns *net.DNSError
		if errors.As(ue.Err, &dns) {
			dns.Name = "<the receiver's host>"
		}
		msg := ue.Err.Error()
		if u, perr := url.Parse(ue.URL); perr == nil && u.Hostname() != "" {
			msg = strings.ReplaceAll(msg, u.Hostname(), "<the receiver's host>")
		}
		return fmt.Errorf("%s: %s", ue.Op, msg)
	}
	return err
}
