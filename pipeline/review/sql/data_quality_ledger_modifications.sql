-- Every ledger_modified event the store recorded, oldest first: an
-- integrity finding is never silently cleared.
SELECT
    seq AS detected_at_ingest,
    coalesce(modified_from, 0) AS byte_from,
    coalesce(modified_to, 0) AS byte_to,
    coalesce(modified_line_from, 0) AS line_from,
    coalesce(modified_line_to, 0) AS line_to
FROM ingest_log
WHERE event = 'ledger_modified'
ORDER BY seq;
