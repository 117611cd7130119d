-- tenant_daily — grain: one row per (day, model) for one tenant.
SELECT day, provider || '/' || model AS model,
    sum(effective_cost_usd)::DECIMAL(18, 2) AS effective_cost_usd,
    sum(requests) AS requests,
    sum(total_tokens) AS total_tokens
FROM mart_spend_daily
WHERE tenant = $tenant AND day BETWEEN $start AND $end
GROUP BY ALL
ORDER BY day, model
