package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ledgerlens/ledgerlens/reports"
)

// PayloadSchema is the "schema" of the generic JSON payload.
const PayloadSchema = "ledgerlens.notification/v1"

// Slack's limits on a message: characters of a section's text, blocks.
const (
	slackSectionChars = 3000
	slackMaxActions   = 20
)

// JSONPayload is the generic payload: the message as JSON, for receivers
// other than chat.
func JSONPayload(m Message) ([]byte, error) {
	type payload struct {
		Schema         string                       `json:"schema"`
		Event          string                       `json:"event"`
		Key            string                       `json:"key"`
		Title          string                       `json:"title"`
		ReportID       string                       `json:"report_id,omitempty"`
		PeriodStart    string                       `json:"period_start,omitempty"`
		PeriodEnd      string                       `json:"period_end,omitempty"`
		Revision       int                          `json:"revision,omitempty"`
		Figures        []Figure                     `json:"headline"`
		ActionRequired []reports.ActionRequiredItem `json:"action_required"`
		Files          []File                       `json:"files"`
		Problems       []string                     `json:"integrity_problems"`
		FoundAt        string                       `json:"found_at,omitempty"`
	}
	p := payload{Schema: PayloadSchema, Event: m.Event, Key: m.Key, Title: m.Title, ReportID: m.ReportID,
		PeriodStart: m.PeriodStart, PeriodEnd: m.PeriodEnd, Revision: m.Revision,
		Figures: nonNil(m.Figures), ActionRequired: nonNil(m.Actions), Files: nonNil(m.Files), Problems: nonNil(m.Problems),
		FoundAt: m.FoundAt}
	return marshal(p)
}

// SlackPayload is a Slack-compatible incoming-webhook message: "text" (the
// notification and fallback line) and "blocks": a header, the headline
// figures, the action-required list, the integrity problems and the
// published files with their SHA-256.
func SlackPayload(m Message) ([]byte, error) {
	type text struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	type block struct {
		Type     string `json:"type"`
		Text     *text  `json:"text,omitempty"`
		Fields   []text `json:"fields,omitempty"`
		Elements []text `json:"elements,omitempty"`
	}
	md := func(s string) *text { return &text{Type: "mrkdwn", Text: s} }
	header := m.Title
	if m.ReportID != "" {
		header = "Weekly credit review " + day(m.PeriodStart) + " (revision " + fmt.Sprint(m.Revision) + ")"
	}
	blocks := []block{{Type: "header", Text: &text{Type: "plain_text", Text: clip(header, 150)}}}
	if m.PeriodStart != "" {
		blocks = append(blocks, block{Type: "section", Text: md(fmt.Sprintf("*Period* %s to %s (exclusive) · %s", m.PeriodStart, m.PeriodEnd, m.ReportID))})
	}
	if len(m.Figures) > 0 {
		var fields []text
		for _, f := range m.Figures[:min(len(m.Figures), 10)] {
			fields = append(fields, text{Type: "mrkdwn", Text: "*" + f.Label + "*\n" + f.Value})
		}
		blocks = append(blocks, block{Type: "section", Fields: fields})
	}
	if m.Event == EventPublished {
		var b strings.Builder
		if len(m.Actions) == 0 {
			b.WriteString("*Action required*\n:white_check_mark: Nothing needs action this week.")
		} else {
			fmt.Fprintf(&b, "*Action required* (%d)", len(m.Actions))
			for i, it := range m.Actions {
				line := "\n• *" + it.Severity + "* " + escape(it.Text)
				if i == slackMaxActions || b.Len()+len(line) > slackSectionChars-60 {
					fmt.Fprintf(&b, "\n… and %d more: see the workbook's Summary", len(m.Actions)-i)
					break
				}
				b.WriteString(line)
			}
		}
		blocks = append(blocks, block{Type: "section", Text: md(b.String())})
	}
	if len(m.Problems) > 0 {
		var b strings.Builder
		b.WriteString("*Integrity problems*")
		for i, p := range m.Problems {
			line := "\n• " + escape(p)
			if b.Len()+len(line) > slackSectionChars-60 {
				fmt.Fprintf(&b, "\n… and %d more: run ledgerlens verify all", len(m.Problems)-i)
				break
			}
			b.WriteString(line)
		}
		blocks = append(blocks, block{Type: "section", Text: md(b.String())})
	}
	if len(m.Files) > 0 {
		var els []text
		for _, f := range m.Files[:min(len(m.Files), 10)] {
			els = append(els, text{Type: "mrkdwn", Text: "`" + f.Path + "` sha256 `" + f.SHA256 + "`"})
		}
		blocks = append(blocks, block{Type: "context", Elements: els})
	}
	return marshal(struct {
		Text   string  `json:"text"`
		Blocks []block `json:"blocks"`
	}{Text: escape(m.Title), Blocks: blocks})
}

// escape makes text safe for Slack's mrkdwn, which treats &, < and > as
// markup.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("notification payload: %w", err)
	}
	return b.Bytes(), nil
}
