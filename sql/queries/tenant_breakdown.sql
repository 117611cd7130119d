-- tenant_breakdown — grain: one row per (team, cost_source, provider, model) for one tenant, with $/1M tokens.
SELECT team, cost_source, provider, model,
    sum(requests)::BIGINT AS requests, sum(unpriced_requests)::BIGINT AS unpriced_requests,
    sum(input_tokens)::BIGINT AS input_tokens, sum(output_tokens)::BIGINT AS output_tokens,
    sum(list_cost_usd)::DECIMAL(18, 2) AS list_cost_usd, sum(effective_cost_usd)::DECIMAL(18, 2) AS effective_cost_usd,
    (sum(effective_cost_usd) * 1000000 / nullif(sum(input_tokens + output_tokens), 0))::DECIMAL(18, 4) AS usd_per_mtok
FROM mart_ledger_daily
WHERE tenant = $tenant AND in_scope($tenants, tenant) AND day BETWEEN $start AND $end
  AND in_scope($providers, provider) AND in_scope($models, model)
  AND (driver IS NULL OR (driver = $driver AND idle_policy = $idle_policy))
GROUP BY ALL
ORDER BY effective_cost_usd DESC NULLS LAST, team, model
