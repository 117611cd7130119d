-- ingest_health — grain: one row per ingest source: its accounting, and how old its newest event is now (so a
-- stalled feed shows even when ingests "succeed" with nothing new).
SELECT source, last_ingest, newest_event,
    round(date_diff('minute', newest_event, now()) / 60.0, 1) AS hours_since_newest_event,
    * EXCLUDE (source, last_ingest, newest_event)
FROM mart_ingest_health
ORDER BY source
