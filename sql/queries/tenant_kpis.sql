-- tenant_kpis — grain: one row for one tenant in the filter set.
SELECT
    coalesce(sum(effective_cost_usd), 0)::DECIMAL(18, 2) AS total_usd,
    coalesce(sum(effective_cost_usd) FILTER (WHERE cost_source = 'api'), 0)::DECIMAL(18, 2) AS api_usd,
    coalesce(sum(list_cost_usd) FILTER (WHERE cost_source = 'api'), 0)::DECIMAL(18, 2) AS api_list_usd,
    coalesce(sum(effective_cost_usd) FILTER (WHERE cost_source = 'self_hosted'), 0)::DECIMAL(18, 2) AS self_hosted_usd,
    coalesce(sum(requests), 0)::BIGINT AS requests,
    coalesce(sum(unpriced_requests), 0)::BIGINT AS unpriced_requests,
    (sum(effective_cost_usd) * 1000000 / nullif(sum(input_tokens + output_tokens), 0))::DECIMAL(18, 4) AS usd_per_mtok
FROM mart_ledger_daily
WHERE tenant = $tenant AND in_scope($tenants, tenant) AND day BETWEEN $start AND $end
  AND in_scope($providers, provider) AND in_scope($models, model)
  AND (driver IS NULL OR (driver = $driver AND idle_policy = $idle_policy))
