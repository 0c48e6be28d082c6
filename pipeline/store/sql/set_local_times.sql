-- Recompute ts_local, the run's wall-clock time in the store's zone, from
-- the UTC instant and zone_offsets: the spans of one UTC offset over the
-- store's time range, computed in Go from the zone rules (store/zone.go).
UPDATE ledger_rows
SET ts_local = ledger_rows."timestamp"::TIMESTAMP + to_seconds(o.offset_seconds)
FROM zone_offsets o
WHERE ledger_rows."timestamp" >= o.from_utc AND ledger_rows."timestamp" < o.to_utc;
