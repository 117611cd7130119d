-- alert_budgets — grain: one row per tenant with a budget for the month $month (its first day): the latest day
-- with data up to $as_of — month-to-date spend, the budget and the month-end forecast, unrounded, so
-- tokenomics/alerts.py compares them with the thresholds exactly.
SELECT tenant, month, day, budget_usd, mtd_usd, forecast_usd
FROM mart_budget_daily
WHERE month = $month AND day <= $as_of AND in_scope($tenants, tenant)
QUALIFY row_number() OVER (PARTITION BY tenant ORDER BY day DESC) = 1
ORDER BY tenant
