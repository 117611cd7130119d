-- spend_by_model — grain: one row per (provider, model, pricing_status) with $ per 1M tokens.
SELECT provider, model, pricing_status,
    sum(requests) AS requests,
    sum(total_tokens) AS total_tokens,
    sum(effective_cost_usd)::DECIMAL(18, 2) AS effective_cost_usd,
    (sum(effective_cost_usd) * 1000000 / nullif(sum(total_tokens), 0))::DECIMAL(18, 4) AS usd_per_mtok
FROM mart_spend_daily
WHERE day BETWEEN $start AND $end AND (len($tenants) = 0 OR list_contains($tenants, tenant))
GROUP BY ALL
ORDER BY effective_cost_usd DESC NULLS LAST, total_tokens DESC
