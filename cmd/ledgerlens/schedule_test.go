package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestScheduledSLAInAZoneAheadOfTheConfigured: with sla-report scheduled
// @monthly in Europe/Berlin and the configured zone UTC, the job fired at
// 23:00 UTC on the month's last day, picked the month in Berlin (ended
// there) and was refused in UTC ("has not ended"), at every retry of that
// fire, for ever, while the crontab line published the month before. The
// month is now the last complete one in the configured zone.
func TestScheduledSLAInAZoneAheadOfTheConfigured(t *testing.T) {
	root := copyFixture(t)
	mustRun(t, "--root", root, "keys", "generate")
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	fire := time.Date(2026, 3, 1, 0, 0, 0, 0, berlin) // 2026-02-28T23:00:00Z
	a := newApp(&strings.Builder{}, &strings.Builder{})
	a.root = root
	if _, err := a.slaJob(0)(context.Background(), fire); err != nil {
		t.Fatalf("scheduled SLA job fired at %s: %v", fire, err)
	}
	if _, err := os.Stat(filepath.Join(reviews(root), "sla_2026-01.json")); err != nil {
		t.Fatalf("the last month complete in UTC at the fire was not published: %v", err)
	}
}
