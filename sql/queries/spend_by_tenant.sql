-- spend_by_tenant — grain: one row per tenant: API and allocated self-hosted cost, tokens, $/1M tokens.
SELECT tenant,
    sum(effective_cost_usd)::DECIMAL(18, 2) AS total_usd,
    coalesce(sum(effective_cost_usd) FILTER (WHERE cost_source = 'api'), 0)::DECIMAL(18, 2) AS api_usd,
    coalesce(sum(effective_cost_usd) FILTER (WHERE cost_source <> 'api'), 0)::DECIMAL(18, 2) AS self_hosted_usd,
    sum(requests)::BIGINT AS requests,
    sum(input_tokens + output_tokens)::BIGINT AS tokens,
    (sum(effective_cost_usd) * 1000000 / nullif(sum(input_tokens + output_tokens), 0))::DECIMAL(18, 4) AS usd_per_mtok
FROM mart_ledger_daily
WHERE day BETWEEN $start AND $end AND in_scope($tenants, tenant) AND in_scope($providers, provider)
  AND in_scope($models, model) AND (driver IS NULL OR (driver = $driver AND idle_policy = $idle_policy))
GROUP BY tenant
ORDER BY total_usd DESC NULLS LAST, tenant
