-- The store's tables. Every statement is idempotent: Open runs this file on
-- each start, so a new column is added here with ADD COLUMN IF NOT EXISTS.

-- Every ledger line that parsed, including duplicates of an earlier run id.
-- The repeated text columns hold UINTEGER codes of text_codes (store/codes.go);
-- the `runs` and ledger_rows_decoded views (runs_view.sql) decode them, and
-- are what everything else reads.
CREATE TABLE IF NOT EXISTS ledger_rows (
    line_no                   BIGINT NOT NULL,
    byte_offset               BIGINT NOT NULL,
    ingest_seq                INTEGER NOT NULL,
    run_id                    VARCHAR NOT NULL,
    run_hash                  BIGINT NOT NULL, -- xxh3 of run_id: duplicate search groups integers, not strings
    "timestamp"               TIMESTAMPTZ NOT NULL,
    scenario_id               UINTEGER NOT NULL, -- code (text_codes)
    scenario_name             UINTEGER NOT NULL, -- code (text_codes)
    job_type                  UINTEGER,          -- code (text_codes)
    status                    UINTEGER,          -- code (text_codes)
    credits_total             DOUBLE NOT NULL,
    credits_in                DOUBLE,
    credits_out               DOUBLE,
    model                     UINTEGER,          -- code (text_codes)
    input_tokens              BIGINT,
    output_tokens             BIGINT,
    artifacts_link            VARCHAR,
    severity                  UINTEGER,          -- code (text_codes)
    risk_flags                VARCHAR[],
    risk_summary              VARCHAR,
    misconfig_likelihood      UINTEGER,          -- code (text_codes)
    baseline_expected_credits DOUBLE,
    variance_multiplier       DOUBLE,
    retry_count               BIGINT,
    has_max_items_config      BOOLEAN,
    has_idempotency_key       BOOLEAN,
    prompt_version            UINTEGER,          -- code (text_codes)
    deployment_timestamp      VARCHAR,
    is_batch_job              BOOLEAN,
    is_backfill               BOOLEAN,
    input_item_count          BIGINT,
    notion_case_id            VARCHAR,
    owner                     UINTEGER,          -- code (text_codes)
    -- The run's wall-clock time in the store's zone (store_meta.time_zone),
    -- computed in Go: the engine has no time-zone rules (store/zone.go).
    ts_local                  TIMESTAMP
);

-- The text of ledger_rows' coded columns: per field, code 0, 1, … in order of
-- the value's first appearance in ledger line order, so a store built afresh
-- from the same ledger holds the same codes. Derived like ledger_rows, and
-- written in the same transaction.
CREATE TABLE IF NOT EXISTS text_codes (
    field VARCHAR NOT NULL,   -- a ledger_rows column
    code  UINTEGER NOT NULL,
    value VARCHAR NOT NULL
);

-- Lines that could not be loaded (docs/RULES.md, "Inputs"). raw holds the line as written
-- (capped, see Store.maxRawReject) so a reject can be inspected without the
-- ledger at hand; line_sha256 is over the full line.
CREATE TABLE IF NOT EXISTS rejects (
    line_no     BIGINT NOT NULL,
    byte_offset BIGINT NOT NULL,
    ingest_seq  INTEGER NOT NULL,
    code        VARCHAR NOT NULL,
    reason      VARCHAR NOT NULL,
    line_sha256 VARCHAR NOT NULL,
    raw         VARCHAR
);

-- Later occurrences of a run id. kind is duplicate_identical when every
-- normalised field equals the first occurrence's, else duplicate_conflicting.
CREATE TABLE IF NOT EXISTS duplicates (
    line_no       BIGINT NOT NULL,
    byte_offset   BIGINT NOT NULL,
    ingest_seq    INTEGER NOT NULL,
    run_id        VARCHAR NOT NULL,
    first_line_no BIGINT NOT NULL,
    kind          VARCHAR NOT NULL
);

-- How many loaded runs (duplicates excluded) carry each value of the
-- enumerated fields, counted per ingest (field_values.go).
CREATE TABLE IF NOT EXISTS field_values (
    ingest_seq INTEGER NOT NULL,
    field      VARCHAR NOT NULL,
    value      VARCHAR NOT NULL,
    n          BIGINT NOT NULL
);

-- One row per ingest, kept across reloads: the store's own history.
CREATE TABLE IF NOT EXISTS ingest_log (
    seq                INTEGER NOT NULL,
    ledger_path        VARCHAR NOT NULL,
    event              VARCHAR NOT NULL, -- initial | append | no_change | ledger_modified
    offset_from        BIGINT NOT NULL,
    offset_to          BIGINT NOT NULL,
    lines              BIGINT NOT NULL,
    loaded             BIGINT NOT NULL,
    rejected           BIGINT NOT NULL,
    duplicates         BIGINT NOT NULL,
    partial_tail_bytes BIGINT NOT NULL,
    prefix_sha256      VARCHAR NOT NULL, -- SHA-256 of ledger bytes [0, offset_to)
    modified_from      BIGINT,           -- ledger_modified: first changed byte range
    modified_to        BIGINT,
    modified_line_from BIGINT,
    modified_line_to   BIGINT
);

-- What the store has covered of the ledger: one row. chunk_digests is the
-- concatenation of BLAKE3-256 digests of each chunk_size-byte chunk of
-- [0, covered_bytes) (the last one possibly short); sha256_state is the
-- marshalled running SHA-256 of the whole covered prefix, so the next
-- ingest extends it with only the appended bytes.
CREATE TABLE IF NOT EXISTS ledger_state (
    ledger_path   VARCHAR NOT NULL,
    covered_bytes BIGINT NOT NULL,
    covered_lines BIGINT NOT NULL,
    chunk_size    BIGINT NOT NULL,
    chunk_digests BLOB NOT NULL,
    sha256_state  BLOB NOT NULL,
    prefix_sha256 VARCHAR NOT NULL,
    -- Rows loaded since DuckDB's last checkpoint (Options.DeferCheckpoint).
    rows_since_checkpoint BIGINT NOT NULL,
    -- The row-digest fold (row_digest.go) of the rows stored in the chunk
    -- holding covered_bytes' end, for the next ingest to resume when its
    -- caller vouches for that chunk (Store.TrustedChunk): the chunk index
    -- (8 bytes, big-endian) and the marshalled running SHA-256. NULL when
    -- no stored row starts in that chunk, or in a store from before
    -- version 8: the next ingest then reads the chunk's rows back.
    tail_fold BLOB
);

-- The runs view is in runs_view.sql, re-created on every writable open.
