-- tenant_kpis — grain: one row for one tenant and period.
SELECT coalesce(sum(effective_cost_usd), 0)::DECIMAL(18, 2) AS effective_cost_usd,
    coalesce(sum(list_cost_usd), 0)::DECIMAL(18, 2) AS list_cost_usd,
    coalesce(sum(requests), 0) AS requests,
    coalesce(sum(total_tokens), 0) AS total_tokens
FROM mart_spend_daily
WHERE tenant = $tenant AND day BETWEEN $start AND $end
