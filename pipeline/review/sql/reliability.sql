-- The status changes of the period [$1, $2) for scenarios that failed in
-- it: the input of the failure-streak recovery statistics (stats.Streaks).
-- stats.Streaks acts only on Failed and Success runs, and only where the
-- status differs from the previous such run of the scenario (a Failed
-- after a Failed, or a Success after a Success, changes nothing), so only
-- those transitions travel to Go: a few per streak instead of every run.
WITH failing AS (
    SELECT DISTINCT scenario_id FROM classified
    WHERE "timestamp" >= $1 AND "timestamp" < $2 AND status = 'Failed'
), outcomes AS (
    SELECT c.scenario_id, c."timestamp", c.line_no, c.status,
           lag(c.status) OVER (PARTITION BY c.scenario_id ORDER BY c."timestamp", c.line_no) AS previous
    FROM classified c
    SEMI JOIN failing f ON f.scenario_id = c.scenario_id
    WHERE c."timestamp" >= $1 AND c."timestamp" < $2 AND c.status IN ('Failed', 'Success')
)
SELECT scenario_id, "timestamp", status
FROM outcomes
WHERE previous IS DISTINCT FROM status
ORDER BY scenario_id, "timestamp", line_no;
