-- Credits and runs per calendar day of the period; the review's table
-- review.days(day, day_start, day_end) holds the days in the configured
-- zone and [$1, $2) is their span. The span filters the scan:
-- classified_rows also holds the previous week, whose runs fall in no
-- day, and a range join sorts every row it is given. Runs are counted by
-- line_no (a run has one, as it has a run id) so that no text column is
-- read.
SELECT d.day,
       coalesce(sum(c.credits_total::DECIMAL(38, 6)), 0)::DOUBLE AS credits,
       count(c.line_no) AS runs
FROM review.days d
LEFT JOIN (
    SELECT "timestamp", credits_total, line_no
    FROM review.classified_rows
    WHERE "timestamp" >= $1 AND "timestamp" < $2
) c ON c."timestamp" >= d.day_start AND c."timestamp" < d.day_end
GROUP BY d.day
ORDER BY d.day;
