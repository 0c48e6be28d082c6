-- The shared classification rules of docs/RULES.md as DuckDB macros, each
-- written once. Install defines them (temporary, per connection) before a
-- review or a baseline check queries with them.

-- A run's flags expose PII or regulated data: a recomputed SEV0 needs one
-- when the policy says so. Absent flags expose nothing.
CREATE OR REPLACE TEMP MACRO ll_pii(flags) AS
    coalesce(list_contains(flags, 'pii_exposure') OR list_contains(flags, 'regulatory_data'), false);

-- The severity recomputed from multiplier = credits / baseline median:
-- SEV0 at or above sev0 (and, when sev0_needs_pii, only with a PII or
-- regulatory flag), then SEV1, SEV2, SEV3 at or above their multipliers,
-- else SEV4; no multiplier (no baseline, or a zero one) gives NULL.
CREATE OR REPLACE TEMP MACRO ll_severity(multiplier, pii, sev0, sev1, sev2, sev3, sev0_needs_pii) AS
    CASE
        WHEN multiplier IS NULL THEN NULL
        WHEN (pii OR NOT sev0_needs_pii) AND multiplier >= sev0 THEN 'SEV0'
        WHEN multiplier >= sev1 THEN 'SEV1'
        WHEN multiplier >= sev2 THEN 'SEV2'
        WHEN multiplier >= sev3 THEN 'SEV3'
        ELSE 'SEV4'
    END;

-- High severity: SEV0 or SEV1.
CREATE OR REPLACE TEMP MACRO ll_high(severity) AS severity IN ('SEV0', 'SEV1');

-- A healthy run: its status is one of the policy's healthy_run_statuses
-- (statuses joined by U+001F, see HealthyStatuses) and it was retried at
-- most once (an absent retry_count is 0).
CREATE OR REPLACE TEMP MACRO ll_healthy(status, retry_count, statuses) AS
    list_contains(string_split(statuses, chr(31)), status) AND coalesce(retry_count, 0) <= 1;

-- A run's variance multiplier: its credits over its scenario's baseline
-- median; NULL without a (positive) baseline.
CREATE OR REPLACE TEMP MACRO ll_multiplier(credits, baseline) AS
    CASE WHEN baseline > 0 THEN credits / baseline END;
