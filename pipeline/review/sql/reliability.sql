-- The status changes of the period [$1, $2) for scenarios that failed in
-- it: the input of the failure-streak recovery statistics (stats.Streaks).
-- stats.Streaks acts only on Failed and Success runs, and only where the
-- status differs from the previous such run of the scenario (a Failed
-- after a Failed, or a Success after a Success, changes nothing), so only
-- those transitions travel to Go: a few per streak instead of every run.
-- The window partitions by the scenario's code and compares status codes
-- (classified_rows, as the store keeps them) rather than their texts: a
-- code stands for one text, and sorting a week's runs with small integers
-- costs a fraction of sorting them with strings; only the transitions are
-- decoded (classified_view.sql).
WITH outcomes AS (
    SELECT k.scenario_id AS scenario_code, k."timestamp", k.line_no, k.status AS status_code,
           code_text(c.statuses, k.status) = 'Failed' AS failed
    FROM review.classified_rows k
    CROSS JOIN review.classified_code_lists c
    WHERE k."timestamp" >= $1 AND k."timestamp" < $2
      AND code_text(c.statuses, k.status) IN ('Failed', 'Success')
), failing AS (
    SELECT DISTINCT scenario_code FROM outcomes WHERE failed
), transitions AS (
    SELECT o.scenario_code, o."timestamp", o.line_no, o.status_code,
           lag(o.status_code) OVER (PARTITION BY o.scenario_code ORDER BY o."timestamp", o.line_no) AS previous
    FROM outcomes o
    SEMI JOIN failing f ON f.scenario_code = o.scenario_code
)
SELECT code_text(c.scenario_ids, t.scenario_code) AS scenario_id, t."timestamp",
       code_text(c.statuses, t.status_code) AS status
FROM transitions t
CROSS JOIN review.classified_code_lists c
WHERE t.previous IS DISTINCT FROM t.status_code
ORDER BY scenario_id, t."timestamp", t.line_no;
