-- mart_ingest_health — grain: one row per ingest source (source): last run, row accounting totals, and data
-- freshness (the newest event loaded: request start for gateway logs, reading time for telemetry).  Its age is
-- computed when read (sql/queries/ingest_health.sql), not here: the read snapshot would freeze it at publish.
CREATE OR REPLACE VIEW mart_ingest_health AS
WITH freshness AS (
    SELECT source, max(newest_event) AS newest_event FROM int_ingest_freshness GROUP BY source
)
SELECT r.source,
    max(r.finished_at) AS last_ingest,
    any_value(f.newest_event) AS newest_event,
    count(*) FILTER (WHERE r.status = 'loaded') AS files_loaded,
    count(*) FILTER (WHERE r.status = 'skipped_already_ingested') AS files_skipped,
    count(*) FILTER (WHERE r.status = 'failed') AS files_failed,
    count(*) FILTER (WHERE r.status = 'interrupted') AS files_interrupted,  -- killed part-way; re-run resumes
    sum(r.rows_read) AS rows_read,
    sum(r.rows_loaded) AS rows_loaded,
    sum(r.rows_quarantined) AS rows_quarantined,
    sum(r.rows_duplicate) AS rows_duplicate
FROM ingest_runs r
LEFT JOIN freshness f ON f.source = r.source
GROUP BY r.source;
