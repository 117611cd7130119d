-- ingest_health — grain: one row per ingest source.
SELECT * FROM mart_ingest_health ORDER BY source
