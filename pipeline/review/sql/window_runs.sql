-- The runs of the analysis window [$1, $2) (classify.sql's), counted to
-- decide whether the review's statements keep the engine's threads busy
-- by themselves (pipeline/review/review.go, run).
SELECT count(*) AS runs FROM runs_coded WHERE "timestamp" >= $1 AND "timestamp" < $2;
