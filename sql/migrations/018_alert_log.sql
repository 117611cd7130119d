-- Migration 018: which alert went to which channel, and when (tokenomics/alerts.py).  A row is written only
-- after the channel accepted the alert, so an hourly `tokenomics alert` sends each alert once per channel and
-- a channel that failed gets it again on the next run.
-- grain: one row per (dedup_key, channel).
CREATE TABLE IF NOT EXISTS alert_log (
    dedup_key   VARCHAR NOT NULL,
    channel     VARCHAR NOT NULL,
    sent_at     TIMESTAMPTZ NOT NULL,
    message     VARCHAR,
    PRIMARY KEY (dedup_key, channel)
);
