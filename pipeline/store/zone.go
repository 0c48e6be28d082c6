package store

import (
	"context"
	_ "embed"
	"fmt"
	"time"
)

// The runs view's ts_local and day_local are the run's time as wall-clock
// time in the configured zone. The engine has no time-zone rules (no ICU),
// so Go computes them: at ingest for each new row, and with zoneIntervals
// when the store's zone changes or an older store gains the column. The
// zone the column was computed in is recorded in store_meta.time_zone.

//go:embed sql/set_local_times.sql
var setLocalTimesSQL string

// Zone is the IANA name of the zone ts_local and day_local are in.
func (s *Store) Zone() string { return s.zone }

// readZone loads the recorded zone of a store of zoneSchemaVersion or newer.
func (s *Store) readZone(ctx context.Context) error {
	var zone *string
	if err := s.conn.QueryRowContext(ctx, "SELECT max(time_zone) FROM store_meta").Scan(&zone); err != nil {
		return fmt.Errorf("read store time zone: %w", err)
	}
	s.zone = "UTC"
	if zone != nil && *zone != "" {
		s.zone = *zone
	}
	loc, err := time.LoadLocation(s.zone)
	if err != nil {
		return fmt.Errorf("store time zone %q: %w", s.zone, err)
	}
	s.loc = loc
	return nil
}

// migrateZone brings a store of schemaVersion to zone ("" = keep the
// recorded zone): it recomputes ts_local when the zone changes, in one
// transaction, keeping every other table (the append-only state among
// them). (It also added ts_local to version 5 stores, which are now
// rebuilt for their text columns.)
func (s *Store) migrateZone(ctx context.Context, version int, zone string) error {
	recorded := ""
	if version >= zoneSchemaVersion {
		if err := s.readZone(ctx); err != nil {
			return err
		}
		recorded = s.zone
	}
	if zone == "" {
		zone = recorded
	}
	if zone == "" {
		zone = "UTC"
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return fmt.Errorf("time zone %q: %w", zone, err)
	}
	if version == schemaVersion && zone == recorded {
		if _, err := s.conn.ExecContext(ctx, runsViewSQL); err != nil {
			return fmt.Errorf("define runs view: %w", err)
		}
		return nil
	}
	fail := func(err error) error {
		_, _ = s.conn.ExecContext(context.Background(), "ROLLBACK")
		return fmt.Errorf("set store time zone to %s: %w", zone, err)
	}
	if _, err := s.conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return fail(err)
	}
	if _, err := s.conn.ExecContext(ctx, "ALTER TABLE ledger_rows ADD COLUMN IF NOT EXISTS ts_local TIMESTAMP"); err != nil {
		return fail(err)
	}
	var from, to *time.Time
	if err := s.conn.QueryRowContext(ctx, `SELECT min("timestamp"), max("timestamp") FROM ledger_rows`).Scan(&from, &to); err != nil {
		return fail(err)
	}
	if from != nil {
		if _, err := s.conn.ExecContext(ctx, "CREATE OR REPLACE TEMP TABLE zone_offsets (from_utc TIMESTAMPTZ, to_utc TIMESTAMPTZ, offset_seconds INTEGER)"); err != nil {
			return fail(err)
		}
		var rows [][]any
		for _, z := range zoneIntervals(*from, *to, loc) {
			rows = append(rows, []any{z.from, z.to, z.offset})
		}
		if err := s.InsertRows(ctx, "zone_offsets", rows); err != nil {
			return fail(err)
		}
		if _, err := s.conn.ExecContext(ctx, setLocalTimesSQL); err != nil {
			return fail(err)
		}
		if _, err := s.conn.ExecContext(ctx, "DROP TABLE zone_offsets"); err != nil {
			return fail(err)
		}
	}
	for _, q := range []string{runsViewSQL, "DELETE FROM store_meta"} {
		if _, err := s.conn.ExecContext(ctx, q); err != nil {
			return fail(err)
		}
	}
	if _, err := s.conn.ExecContext(ctx, "INSERT INTO store_meta (schema_version, time_zone) VALUES ($1, $2)", schemaVersion, zone); err != nil {
		return fail(err)
	}
	if _, err := s.conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fail(err)
	}
	s.zone, s.loc = zone, loc
	return nil
}

// zoneInterval is a span [from, to) of UTC instants with one UTC offset.
type zoneInterval struct {
	from, to time.Time
	offset   int
}

// zoneIntervals splits [first, last] into the spans of loc's offsets, from
// the zone rules Go has (Time.ZoneBounds), so SQL can shift instants to
// wall-clock time with a join instead of time-zone rules it lacks.
func zoneIntervals(first, last time.Time, loc *time.Location) []zoneInterval {
	var out []zoneInterval
	t := first
	for {
		local := t.In(loc)
		_, offset := local.Zone()
		_, end := local.ZoneBounds()
		if end.IsZero() || end.After(last) {
			// The last span is closed one microsecond past last.
			out = append(out, zoneInterval{from: t, to: last.Add(time.Microsecond), offset: offset})
			return out
		}
		out = append(out, zoneInterval{from: t, to: end, offset: offset})
		t = end
	}
}
