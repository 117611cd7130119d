-- stg_cost_settings — grain: one row: the cost-model tunables as typed columns.
CREATE OR REPLACE VIEW stg_cost_settings AS
SELECT
    max(value) FILTER (WHERE key = 'decode_token_weight') AS decode_token_weight,
    max(value) FILTER (WHERE key = 'anomaly_robust_z') AS anomaly_robust_z,
    max(value) FILTER (WHERE key = 'anomaly_min_change_usd') AS anomaly_min_change_usd
FROM cost_settings;
