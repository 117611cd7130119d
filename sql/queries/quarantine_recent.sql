-- quarantine_recent — grain: one row per quarantined input row (most recent first, capped).
SELECT quarantined_at, source, regexp_extract(uri, '[^/]+$') AS file, line_no, reason, left(raw, 400) AS raw
FROM quarantine
ORDER BY quarantined_at DESC, file, line_no
LIMIT $limit
