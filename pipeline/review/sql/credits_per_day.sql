-- Credits and runs per calendar day of the period; the temp table
-- days(day, day_start, day_end) holds the days in the configured zone.
SELECT d.day,
       coalesce(sum(c.credits_total::DECIMAL(38, 6)), 0)::DOUBLE AS credits,
       count(c.run_id) AS runs
FROM days d
LEFT JOIN classified c ON c."timestamp" >= d.day_start AND c."timestamp" < d.day_end
GROUP BY d.day
ORDER BY d.day;
