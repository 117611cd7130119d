-- tenant_budget — grain: one row per day of the budget months overlapping the period, for one tenant:
-- month-to-date spend vs the straight-line plan, and the month-end forecast.
SELECT day, month, budget_usd, mtd_usd::DECIMAL(18, 2) AS mtd_usd, planned_mtd_usd::DECIMAL(18, 2) AS planned_mtd_usd,
    forecast_usd::DECIMAL(18, 2) AS forecast_usd, burn_pct
FROM mart_budget_daily
WHERE tenant = $tenant AND in_scope($tenants, tenant)
  AND month BETWEEN date_trunc('month', $start::DATE) AND $end
ORDER BY day
