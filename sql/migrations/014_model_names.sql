-- Migration 014: one model-name resolver (sql/intermediate/int_model_resolution.sql).
-- model_names: every (provider, model) a request or a vendor report was logged with, kept as rows land, so
-- resolving names is a join over a few hundred names, never a scan of the requests.
-- model_overrides: the resolver's override file (contracts `model_aliases:`), a reference table.
CREATE TABLE model_names (
    -- grain: one row per (provider, model) as logged
    provider    VARCHAR NOT NULL,
    model       VARCHAR NOT NULL,
    PRIMARY KEY (provider, model)
);
INSERT INTO model_names
SELECT DISTINCT provider, resolved_model FROM raw_requests
UNION SELECT DISTINCT provider, model FROM vendor_usage
UNION SELECT DISTINCT provider, model FROM vendor_costs WHERE model IS NOT NULL;

CREATE TABLE model_overrides (
    -- grain: one row per (provider, model) as logged
    provider        VARCHAR NOT NULL,
    model           VARCHAR NOT NULL,
    card_provider   VARCHAR NOT NULL,
    card_model      VARCHAR NOT NULL,
    run_id          VARCHAR NOT NULL
);
