-- Whether the store holds any run of scenario $1 (the cheap check before
-- scenario_ids.sql lists the known ids for an unknown one).
SELECT EXISTS (SELECT 1 FROM runs WHERE scenario_id = $1) AS known;
