package store

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"time"
)

// The runs view's ts_local and day_local are the run's time as wall-clock
// time in the configured zone. The engine has no time-zone rules (no ICU),
// so Go computes them at ingest for each row; a change of zone rebuilds
// the store. The zone the column was computed in is recorded in
// store_meta.time_zone.

//go:embed sql/store_time_zone.sql
var storeTimeZoneSQL string

// Zone is the IANA name of the zone ts_local and day_local are in.
func (s *Store) Zone() string { return s.zone }

// readZone loads the recorded zone of a store of zoneSchemaVersion or newer.
func (s *Store) readZone(ctx context.Context) error {
	var zone *string
	if err := s.conn.QueryRowContext(ctx, storeTimeZoneSQL).Scan(&zone); err != nil {
		return fmt.Errorf("read store time zone: %w", err)
	}
	s.zone = "UTC"
	if zone != nil && *zone != "" {
		s.zone = *zone
	}
	loc, err := time.LoadLocation(s.zone)
	if err != nil {
		// Only a zone ledgerlens has loaded is written (migrateZone), and
		// the zone names are linked into the binary. Go's error would
		// print the bytes as they are; %q quotes them.
		return fmt.Errorf("its time zone (store_meta.time_zone) %q is not one ledgerlens writes: %w", s.zone, ErrMetaEdited)
	}
	s.loc = loc
	return nil
}

// ErrMetaEdited is matched by Open's error for a store whose store_meta
// holds what no ledgerlens writes there, such as a time zone that does not
// exist. Jobs treat it as an integrity problem (exit 4), not as an
// unreadable store (exit 1).
var ErrMetaEdited = errors.New("the store was edited")

// migrateZone brings a store of schemaVersion to zone ("" = keep the
// recorded zone). Another zone than the recorded one rebuilds the store's
// derived tables, so the next ingest reloads the ledger in the new zone
// and records the rows' digests as they now are: recomputing ts_local in
// place would change rows whose digests earlier ingests recorded, which a
// later job would take for an edited store.
func (s *Store) migrateZone(ctx context.Context, version int, zone string) error {
	if err := s.readZone(ctx); err != nil {
		return err
	}
	if zone == "" || zone == s.zone {
		if _, err := s.conn.ExecContext(ctx, runsViewSQL); err != nil {
			return fmt.Errorf("define runs view: %w", err)
		}
		for _, v := range arrowViews() {
			// Kept by earlier versions (insertArrow).
			if _, err := s.conn.ExecContext(ctx, "DROP VIEW IF EXISTS main."+v); err != nil {
				return fmt.Errorf("drop an Arrow view left in the store: %w", err)
			}
		}
		return nil
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return fmt.Errorf("time zone %q: %w", zone, err)
	}
	if err := s.rebuild(ctx, version, zone); err != nil {
		return fmt.Errorf("set store time zone to %s: %w", zone, err)
	}
	s.zone, s.loc = zone, loc
	return nil
}
