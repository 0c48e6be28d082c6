-- The baselines high_severity.sql classifies against, as the temp table
-- ll_high_baseline (a name of its own, so the review's temp tables on the
-- same connection are left alone). $1 is a JSON array of
-- {"scenario_id": …, "median_credits": …} objects.
CREATE OR REPLACE TEMP TABLE ll_high_baseline AS
SELECT unnest(from_json($1::JSON, '[{"scenario_id":"VARCHAR","median_credits":"DOUBLE"}]'), recursive := true);
