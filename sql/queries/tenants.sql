-- tenants — grain: one row per tenant, biggest spender first.
SELECT tenant, sum(effective_cost_usd)::DECIMAL(18, 2) AS effective_cost_usd
FROM mart_spend_daily GROUP BY tenant ORDER BY effective_cost_usd DESC NULLS LAST, tenant
