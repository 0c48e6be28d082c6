-- Headline figures of the period [$1, $2) and the previous week [$3, $1).
-- Sums are exact decimals so the result does not depend on thread order.
SELECT
    "timestamp" >= $1 AS current,
    count(*) AS runs,
    coalesce(sum(credits_total::DECIMAL(38, 6)), 0)::DOUBLE AS credits,
    count(*) FILTER (WHERE status = 'Failed') AS failed,
    count(*) FILTER (WHERE severity = 'SEV0') AS rec_sev0,
    count(*) FILTER (WHERE severity = 'SEV1') AS rec_sev1,
    count(*) FILTER (WHERE severity = 'SEV2') AS rec_sev2,
    count(*) FILTER (WHERE severity = 'SEV3') AS rec_sev3,
    count(*) FILTER (WHERE severity = 'SEV4') AS rec_sev4,
    count(*) FILTER (WHERE severity IS NULL OR severity NOT IN ('SEV0', 'SEV1', 'SEV2', 'SEV3', 'SEV4')) AS rec_unknown,
    count(*) FILTER (WHERE recomputed_severity = 'SEV0') AS re_sev0,
    count(*) FILTER (WHERE recomputed_severity = 'SEV1') AS re_sev1,
    count(*) FILTER (WHERE recomputed_severity = 'SEV2') AS re_sev2,
    count(*) FILTER (WHERE recomputed_severity = 'SEV3') AS re_sev3,
    count(*) FILTER (WHERE recomputed_severity = 'SEV4') AS re_sev4,
    count(*) FILTER (WHERE recomputed_severity IS NULL) AS re_unknown
FROM classified
WHERE "timestamp" >= $3 AND "timestamp" < $2
GROUP BY ALL;
