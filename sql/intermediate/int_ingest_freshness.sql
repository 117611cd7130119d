-- int_ingest_freshness — grain: one row per (run_id, source) that loaded events: the newest event
-- the run loaded (request start for gateway logs, reading time for telemetry).  Data freshness is then a
-- max over runs (mart_ingest_health), not a scan of every raw row; each build adds only the new runs.
-- incremental: run_id by run
CREATE OR REPLACE TABLE int_ingest_freshness AS
SELECT run_id, source, max(start_time) AS newest_event FROM raw_requests GROUP BY run_id, source
UNION ALL
SELECT run_id, 'nvidia-smi' AS source, max(ts) AS newest_event FROM raw_gpu_samples GROUP BY run_id;
