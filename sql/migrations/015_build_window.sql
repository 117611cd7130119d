-- Migration 015: the plausible window a build fills zero days and hours within (tokenomics.config.plausible_window:
-- TOKENOMICS_EARLIEST … now + TOKENOMICS_AHEAD_HOURS), written by every build before its models run.  A table,
-- not a session variable, so the models stay plain SQL any engine runs the same way.
-- grain: one row.
CREATE TABLE build_window (
    earliest    TIMESTAMPTZ NOT NULL,
    latest      TIMESTAMPTZ NOT NULL
);
INSERT INTO build_window VALUES ('2015-01-01 00:00:00+00', now() + INTERVAL 1 DAY);
