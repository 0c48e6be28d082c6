-- How many duplicates ingest $1 recorded (ingest.go, findDuplicates).
SELECT count(*) FROM duplicates WHERE ingest_seq = $1
