-- Ordered statuses of the period [$1, $2) for scenarios that failed in it:
-- the input of the failure-streak recovery statistics.
SELECT scenario_id, "timestamp", status
FROM classified
WHERE "timestamp" >= $1 AND "timestamp" < $2
  AND scenario_id IN (
      SELECT scenario_id FROM classified
      WHERE "timestamp" >= $1 AND "timestamp" < $2 AND status = 'Failed')
ORDER BY scenario_id, "timestamp", line_no;
