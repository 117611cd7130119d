-- mart_budget_daily — grain: one row per (day, tenant) in months with a budget: month-to-date spend,
-- the budget, the straight-line burn (budget × day / days in month), and the month-end forecast =
-- month-to-date + trailing-7-day mean daily spend × days left in the month.
CREATE OR REPLACE TABLE mart_budget_daily AS
WITH d AS (
    SELECT s.day, s.tenant, s.spend_usd, b.budget_usd, b.month,
        date_diff('day', b.month, (b.month + INTERVAL 1 MONTH)::DATE) AS days_in_month,
        extract('day' FROM s.day) AS day_of_month,
        sum(s.spend_usd) OVER (PARTITION BY s.tenant, b.month ORDER BY s.day) AS mtd_usd,
        avg(s.spend_usd) OVER (PARTITION BY s.tenant ORDER BY s.day ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS run_rate_usd
    FROM mart_spend_tenant_daily s
    JOIN stg_budgets b ON b.tenant = s.tenant AND date_trunc('month', s.day) = b.month
)
SELECT day, tenant, month, budget_usd, spend_usd, mtd_usd::DECIMAL(38, 12) AS mtd_usd,
    (budget_usd * day_of_month / days_in_month)::DECIMAL(38, 6) AS planned_mtd_usd,
    (mtd_usd + run_rate_usd * (days_in_month - day_of_month))::DECIMAL(38, 6) AS forecast_usd,
    (mtd_usd / nullif(budget_usd, 0) * 100)::DECIMAL(10, 2) AS burn_pct
FROM d;
