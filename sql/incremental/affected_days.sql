-- The days an incremental build recomputes (tokenomics/incremental.py runs this script; the engine itself
-- knows no table of the cost model).  Input: _inc_keys_run(key), the ingest runs the build has not seen;
-- $reprice_from, the first day an effective-dated reference change prices differently (NULL: none).
-- grain of _inc_keys_day: one row per day (key DATE).
-- 1. Every day a new request or GPU reading falls on.
-- 2. The GPU bill's rule (docs/cost_model.md): a deployment is billed every hour from its first to its last
--    telemetry, so telemetry that resumes after a gap — or arrives before the earliest — adds idle hours on
--    the days in between, which have no new facts of their own.
-- 3. With $reprice_from: every day from it to the last fact (requests or GPU readings).
-- Also sets the variable tokenomics_reprice_from (the engine's request filters for re-pricing read it).
SET VARIABLE tokenomics_reprice_from = $reprice_from::DATE::TIMESTAMPTZ;

CREATE OR REPLACE TEMP TABLE _inc_keys_day AS
WITH spans AS (
    SELECT d.deployment_id,
        max(s.ts) FILTER (WHERE s.run_id NOT IN (SELECT key FROM _inc_keys_run)) AS old_last,
        min(s.ts) FILTER (WHERE s.run_id NOT IN (SELECT key FROM _inc_keys_run)) AS old_first,
        min(s.ts) FILTER (WHERE s.run_id IN (SELECT key FROM _inc_keys_run)) AS new_first,
        max(s.ts) FILTER (WHERE s.run_id IN (SELECT key FROM _inc_keys_run)) AS new_last
    FROM raw_gpu_samples s
    JOIN (SELECT deployment_id, unnest(hosts) AS host FROM gpu_deployments) d ON d.host = s.host
    GROUP BY d.deployment_id
),
gaps AS (
    SELECT old_last AS gap_from, new_first AS gap_to FROM spans WHERE new_first > old_last
    UNION ALL SELECT new_last, old_first FROM spans WHERE new_last < old_first
),
repriced AS (
    SELECT t.day::DATE AS key
    FROM (SELECT max(start_time) AS last FROM raw_requests UNION ALL SELECT max(ts) FROM raw_gpu_samples) m
    CROSS JOIN unnest(generate_series(getvariable('tokenomics_reprice_from'), m.last, INTERVAL 1 DAY)) AS t(day)
    WHERE m.last >= getvariable('tokenomics_reprice_from')
)
SELECT DISTINCT start_time::DATE AS key FROM raw_requests WHERE run_id IN (SELECT key FROM _inc_keys_run)
UNION SELECT DISTINCT ts::DATE FROM raw_gpu_samples WHERE run_id IN (SELECT key FROM _inc_keys_run)
UNION SELECT t.day::DATE FROM gaps CROSS JOIN unnest(generate_series(date_trunc('day', gap_from), gap_to, INTERVAL 1 DAY)) AS t(day)
UNION SELECT key FROM repriced;

-- grain of _inc_keys_month: one row per month (key DATE, its first day) holding an affected day.
CREATE OR REPLACE TEMP TABLE _inc_keys_month AS SELECT DISTINCT date_trunc('month', key)::DATE AS key FROM _inc_keys_day;
