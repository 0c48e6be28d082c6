-- Runs of an already published week [$1, $2) that were appended at or
-- after the byte offset the published report covered ($3).
SELECT count(*) AS runs, coalesce(sum(credits_total::DECIMAL(38, 6)), 0)::DOUBLE AS credits
FROM runs
WHERE "timestamp" >= $1 AND "timestamp" < $2 AND byte_offset >= $3;
