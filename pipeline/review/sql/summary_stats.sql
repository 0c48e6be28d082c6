-- Headline figures of the period [$1, $2) and the previous week [$3, $1).
-- Sums are exact decimals so the result does not depend on thread order.
-- The runs are first counted per combination of status, recorded and
-- recomputed severity (a few hundred groups, on the store's codes), and
-- the figures are taken from those counts: each run is hashed once
-- instead of passing sixteen filters (BENCHMARKS.md).
WITH combos AS (
    SELECT
        "timestamp" >= $1 AS current, status, severity, recomputed_severity,
        count(*) AS runs,
        sum(credits_total::DECIMAL(38, 6)) AS credits
    FROM review.classified_rows
    WHERE "timestamp" >= $3 AND "timestamp" < $2
    GROUP BY ALL
), decoded AS (
    SELECT k.current, k.runs, k.credits, k.recomputed_severity,
           code_text(l.statuses, k.status) AS status,
           code_text(l.severities, k.severity) AS severity
    FROM combos k
    CROSS JOIN review.classified_code_lists l
)
SELECT
    current,
    sum(runs)::BIGINT AS runs,
    coalesce(sum(credits), 0)::DOUBLE AS credits,
    coalesce(sum(runs) FILTER (WHERE status = 'Failed'), 0)::BIGINT AS failed,
    coalesce(sum(runs) FILTER (WHERE severity = 'SEV0'), 0)::BIGINT AS rec_sev0,
    coalesce(sum(runs) FILTER (WHERE severity = 'SEV1'), 0)::BIGINT AS rec_sev1,
    coalesce(sum(runs) FILTER (WHERE severity = 'SEV2'), 0)::BIGINT AS rec_sev2,
    coalesce(sum(runs) FILTER (WHERE severity = 'SEV3'), 0)::BIGINT AS rec_sev3,
    coalesce(sum(runs) FILTER (WHERE severity = 'SEV4'), 0)::BIGINT AS rec_sev4,
    coalesce(sum(runs) FILTER (WHERE severity IS NULL OR severity NOT IN ('SEV0', 'SEV1', 'SEV2', 'SEV3', 'SEV4')), 0)::BIGINT AS rec_unknown,
    coalesce(sum(runs) FILTER (WHERE recomputed_severity = 'SEV0'), 0)::BIGINT AS re_sev0,
    coalesce(sum(runs) FILTER (WHERE recomputed_severity = 'SEV1'), 0)::BIGINT AS re_sev1,
    coalesce(sum(runs) FILTER (WHERE recomputed_severity = 'SEV2'), 0)::BIGINT AS re_sev2,
    coalesce(sum(runs) FILTER (WHERE recomputed_severity = 'SEV3'), 0)::BIGINT AS re_sev3,
    coalesce(sum(runs) FILTER (WHERE recomputed_severity = 'SEV4'), 0)::BIGINT AS re_sev4,
    coalesce(sum(runs) FILTER (WHERE recomputed_severity IS NULL), 0)::BIGINT AS re_unknown
FROM decoded
GROUP BY current;
