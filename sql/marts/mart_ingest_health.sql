-- mart_ingest_health — grain: one row per ingest source: last run and row accounting totals.
CREATE OR REPLACE VIEW mart_ingest_health AS
SELECT source,
    max(finished_at) AS last_ingest,
    count(*) FILTER (WHERE status = 'loaded') AS files_loaded,
    count(*) FILTER (WHERE status = 'skipped_already_ingested') AS files_skipped,
    count(*) FILTER (WHERE status = 'failed') AS files_failed,
    sum(rows_read) AS rows_read,
    sum(rows_loaded) AS rows_loaded,
    sum(rows_quarantined) AS rows_quarantined,
    sum(rows_duplicate) AS rows_duplicate
FROM ingest_runs
GROUP BY source;
