package inputs

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestConfigWebhooks(t *testing.T) {
	c, err := ParseConfig("config/ledgerlens.json", []byte(`{"webhooks": [
		{"name": "ops-review", "url_env": "LEDGERLENS_SLACK_URL"},
		{"name": "siem", "format": "json", "url_file": "config/siem.url", "timeout_seconds": 2.5, "retries": 0}
	]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []Webhook{
		{Name: "ops-review", Format: WebhookSlack, URLEnv: "LEDGERLENS_SLACK_URL", Timeout: DefaultWebhookTimeout, Retries: DefaultWebhookRetries},
		{Name: "siem", Format: WebhookJSON, URLFile: "config/siem.url", Timeout: 2500 * time.Millisecond, Retries: 0},
	}
	if !reflect.DeepEqual(c.Webhooks, want) {
		t.Fatalf("webhooks %+v, want %+v", c.Webhooks, want)
	}

	for _, tc := range []struct {
		name, doc, want string
	}{
		{"URL in the config", `{"webhooks": [{"name": "a", "url": "https://example.invalid/x", "url_env": "X"}]}`, "webhooks[0].url: a webhook URL is a secret"},
		{"no URL source", `{"webhooks": [{"name": "a"}]}`, "give exactly one of url_env"},
		{"both URL sources", `{"webhooks": [{"name": "a", "url_env": "X", "url_file": "f"}]}`, "give exactly one of url_env"},
		{"bad format", `{"webhooks": [{"name": "a", "url_env": "X", "format": "teams"}]}`, `webhooks[0].format: must be "slack" or "json"`},
		{"duplicate name", `{"webhooks": [{"name": "a", "url_env": "X"}, {"name": "a", "url_env": "Y"}]}`, "webhooks[1].name: duplicate of webhooks[0]"},
		{"unnamed", `{"webhooks": [{"url_env": "X"}]}`, "webhooks[0].name: missing"},
		{"retries out of range", `{"webhooks": [{"name": "a", "url_env": "X", "retries": 11}]}`, "webhooks[0].retries: must be between 0 and 10"},
		{"timeout out of range", `{"webhooks": [{"name": "a", "url_env": "X", "timeout_seconds": 0}]}`, "webhooks[0].timeout_seconds: must be above 0"},
		{"unknown key", `{"webhooks": [{"name": "a", "url_env": "X", "channel": "#ops"}]}`, "webhooks[0].channel: unknown key"},
		{"not a list", `{"webhooks": {"name": "a"}}`, "webhooks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig("config/ledgerlens.json", []byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "example.invalid") {
				t.Errorf("the error repeats the URL: %v", err)
			}
		})
	}
}
