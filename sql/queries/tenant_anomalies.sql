-- tenant_anomalies — grain: one row per flagged (day, tenant) in the period and scope.
SELECT day, tenant, spend_usd::DECIMAL(18, 2) AS spend_usd, previous_usd::DECIMAL(18, 2) AS previous_day_usd,
    median_usd::DECIMAL(18, 2) AS trailing_median_usd, round(robust_z, 1) AS robust_z
FROM mart_spend_tenant_daily
WHERE is_anomaly AND day BETWEEN $start AND $end AND in_scope($tenants, tenant)
ORDER BY day DESC, tenant
