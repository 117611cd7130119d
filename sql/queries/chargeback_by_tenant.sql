-- chargeback_by_tenant — grain: one row per tenant (unallocated idle GPU time is not a tenant: see
-- chargeback_kpis.idle_usd): the statement lines' cents, so the rows sum to the page's total to the cent.
SELECT tenant,
    sum(effective_usd)::DECIMAL(18, 2) AS total_usd,
    coalesce(sum(effective_usd) FILTER (WHERE section = 'api'), 0)::DECIMAL(18, 2) AS api_usd,
    coalesce(sum(effective_usd) FILTER (WHERE section IN ('self_hosted', 'idle_share')), 0)::DECIMAL(18, 2)
        AS self_hosted_usd,
    coalesce(sum(effective_usd) FILTER (WHERE section = 'idle_share'), 0)::DECIMAL(18, 2) AS idle_share_usd,
    sum(requests)::BIGINT AS requests,
    sum(unpriced_requests)::BIGINT AS unpriced_requests,
    sum(input_tokens + output_tokens)::BIGINT AS tokens,
    (sum(effective_usd) * 1000000 / nullif(sum(input_tokens + output_tokens), 0))::DECIMAL(18, 4) AS usd_per_mtok
FROM chargeback_lines
WHERE section <> 'idle' AND in_scope($tenants, tenant) AND in_scope($providers, provider) AND in_scope($models, model)
GROUP BY tenant
ORDER BY total_usd DESC NULLS LAST, tenant
