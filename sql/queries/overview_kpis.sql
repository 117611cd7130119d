-- overview_kpis — grain: one row for the filter set: spend by source, requests, unpriced share.
WITH l AS (
    SELECT * FROM mart_ledger_daily
    WHERE day BETWEEN $start AND $end AND in_scope($tenants, tenant) AND in_scope($providers, provider)
      AND in_scope($models, model) AND (driver IS NULL OR (driver = $driver AND idle_policy = $idle_policy))
)
SELECT
    coalesce(sum(effective_cost_usd), 0)::DECIMAL(18, 2) AS total_usd,
    coalesce(sum(effective_cost_usd) FILTER (WHERE cost_source = 'api'), 0)::DECIMAL(18, 2) AS api_usd,
    coalesce(sum(list_cost_usd - effective_cost_usd) FILTER (WHERE cost_source = 'api'), 0)::DECIMAL(18, 2) AS discount_usd,
    coalesce(sum(effective_cost_usd) FILTER (WHERE cost_source = 'self_hosted'), 0)::DECIMAL(18, 2) AS self_hosted_usd,
    coalesce(sum(effective_cost_usd) FILTER (WHERE cost_source = 'idle'), 0)::DECIMAL(18, 2) AS idle_usd,
    coalesce(sum(requests), 0)::BIGINT AS requests,
    coalesce(sum(unpriced_requests), 0)::BIGINT AS unpriced_requests,
    coalesce(sum(unpriced_requests) / nullif(sum(requests), 0), 0) AS unpriced_share,
    coalesce(sum(input_tokens + output_tokens), 0)::BIGINT AS tokens,
    count(DISTINCT tenant) FILTER (WHERE tenant <> '__idle__') AS tenants
FROM l
