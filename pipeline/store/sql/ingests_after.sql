-- The ingests the store's own history numbers past $1, and whether each
-- of them found nothing new ($2 is that event's name): bookkeeping.go,
-- IngestsAfter.
SELECT count(*) AS n, coalesce(bool_and(event = $2), true) AS no_change
FROM ingest_log
WHERE seq > $1;
