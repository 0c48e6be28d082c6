-- The time zone ts_local and day_local were computed in, NULL when none
-- is recorded (zone.go, readZone).
SELECT max(time_zone) FROM store_meta
