package notify

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

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
		fi, err := os.Stat(path)
		if err != nil {
			return "", fmt.Errorf("webhook %s: URL file: %w", h.Name, err)
		}
		if !fi.Mode().IsRegular() {
			return "", fmt.Errorf("webhook %s: URL file %s is not a regular file", h.Name, path)
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			return "", fmt.Errorf("webhook %s: URL file %s has mode %04o, readable by others: chmod 600 it", h.Name, path, perm)
		}
		data, err := os.ReadFile(path)
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
// it: the rest (timeout, connection refused) is what an operator needs.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Errorf("%s: timed out: %w", ue.Op, context.DeadlineExceeded)
		}
		return fmt.Errorf("%s: %v", ue.Op, ue.Err)
	}
	return err
}
