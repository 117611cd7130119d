-- Migration 004: inputs for cost attribution — owned-GPU energy pricing, allocation settings, budgets.
-- Owned GPUs: usd_per_gpu_hour is the amortised purchase; energy = telemetry kWh x PUE x $/kWh on top.
ALTER TABLE gpu_rates ADD COLUMN usd_per_kwh DECIMAL(12, 6);
ALTER TABLE gpu_rates ADD COLUMN pue DECIMAL(6, 3);

CREATE TABLE cost_settings (
    -- grain: one row per setting key (latest contract file wins)
    key     VARCHAR PRIMARY KEY,
    value   DECIMAL(18, 6) NOT NULL,
    note    VARCHAR,
    run_id  VARCHAR NOT NULL
);
INSERT INTO cost_settings VALUES
    ('decode_token_weight', 4, 'GPU time of one generated token relative to one prompt token (weighted_tokens driver)', 'migration-004'),
    ('anomaly_robust_z', 3.5, 'flag a tenant-day whose spend is this many robust standard deviations from its trailing 14 days', 'migration-004'),
    ('anomaly_min_change_usd', 25, 'and whose spend moved by at least this many dollars day over day', 'migration-004');

CREATE TABLE budgets (
    -- grain: one row per (tenant, month); a later contract file revises the amount
    tenant      VARCHAR NOT NULL,
    month       DATE NOT NULL,
    budget_usd  DECIMAL(18, 2) NOT NULL,
    run_id      VARCHAR NOT NULL
);
