package inputs

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Webhook formats.
const (
	WebhookSlack = "slack" // Slack-compatible incoming webhook: text plus blocks
	WebhookJSON  = "json"  // ledgerlens' own JSON payload, for other receivers
)

// Webhook delivery defaults.
const (
	DefaultWebhookTimeout = 10 * time.Second
	DefaultWebhookRetries = 3
	maxWebhookRetries     = 10
)

// Webhook is one receiver of notifications, from the "webhooks" list of
// config/ledgerlens.json. Its URL is a secret and never in the
// configuration: URLEnv names the environment variable holding it, or
// URLFile a file (mode 0600, relative to the root unless absolute) holding
// it; exactly one of the two is set.
type Webhook struct {
	Name    string
	Format  string // WebhookSlack or WebhookJSON
	URLEnv  string
	URLFile string
	Timeout time.Duration // per attempt
	Retries int           // attempts after the first
}

// parseWebhooks reads the configuration's "webhooks" list.
func parseWebhooks(doc object) ([]Webhook, error) {
	items, _, err := doc.arr("webhooks")
	if err != nil {
		return nil, err
	}
	var out []Webhook
	var errs []error
	seen := map[string]int{}
	for i, raw := range items {
		at := fmt.Sprintf("webhooks[%d]", i)
		o, err := decodeObject(raw, at)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fail := func(key, msg string) { errs = append(errs, &fieldError{field: o.at(key), msg: msg}) }
		bad := len(errs)
		for _, k := range o.keys() {
			switch k {
			case "name", "format", "url_env", "url_file", "timeout_seconds", "retries":
			case "url":
				fail(k, "a webhook URL is a secret and is not read from the configuration: put it in an environment variable named by url_env, or in a file of mode 0600 named by url_file")
			default:
				fail(k, "unknown key (known: format, name, retries, timeout_seconds, url_env, url_file)")
			}
		}
		h := Webhook{Format: WebhookSlack, Timeout: DefaultWebhookTimeout, Retries: DefaultWebhookRetries}
		str := func(key string, dst *string) {
			if v, ok, err := o.str(key); err != nil {
				errs = append(errs, err)
			} else if ok {
				*dst = strings.TrimSpace(v)
			}
		}
		str("name", &h.Name)
		str("format", &h.Format)
		str("url_env", &h.URLEnv)
		str("url_file", &h.URLFile)
		switch {
		case h.Name == "":
			fail("name", "missing or empty")
		case seen[h.Name] > 0:
			fail("name", fmt.Sprintf("duplicate of webhooks[%d] (%q)", seen[h.Name]-1, h.Name))
		default:
			seen[h.Name] = i + 1
		}
		if h.Format != WebhookSlack && h.Format != WebhookJSON {
			fail("format", fmt.Sprintf("must be %q or %q, got %q", WebhookSlack, WebhookJSON, h.Format))
		}
		if (h.URLEnv == "") == (h.URLFile == "") {
			fail("url_env", "give exactly one of url_env (an environment variable) and url_file (a file of mode 0600) holding the URL")
		}
		if v, ok, err := o.num("timeout_seconds"); err != nil {
			errs = append(errs, err)
		} else if ok {
			if !(v > 0 && v <= 300) {
				fail("timeout_seconds", fmt.Sprintf("must be above 0 and at most 300, got %v", v))
			} else {
				h.Timeout = time.Duration(v * float64(time.Second))
			}
		}
		if n, ok, err := o.integer("retries"); err != nil {
			errs = append(errs, err)
		} else if ok {
			if n < 0 || n > maxWebhookRetries {
				fail("retries", fmt.Sprintf("must be between 0 and %d, got %d", maxWebhookRetries, n))
			} else {
				h.Retries = int(n)
			}
		}
		if len(errs) == bad {
			out = append(out, h)
		}
	}
	return out, errors.Join(errs...)
}
