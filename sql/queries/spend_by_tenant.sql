-- spend_by_tenant — grain: one row per tenant (API spend; self-hosted tokens shown, not yet costed).
SELECT tenant,
    sum(effective_cost_usd)::DECIMAL(18, 2) AS effective_cost_usd,
    sum(list_cost_usd)::DECIMAL(18, 2) AS list_cost_usd,
    sum(requests) AS requests,
    sum(total_tokens) AS total_tokens,
    sum(total_tokens) FILTER (WHERE pricing_status = 'self_hosted') AS self_hosted_tokens,
    sum(requests) FILTER (WHERE pricing_status = 'unpriced') AS unpriced_requests
FROM mart_spend_daily
WHERE day BETWEEN $start AND $end AND (len($tenants) = 0 OR list_contains($tenants, tenant))
GROUP BY tenant
ORDER BY effective_cost_usd DESC NULLS LAST, tenant
