-- unpriced — grain: one row per (provider, model, service_tier): requests that matched no rate card,
-- counted and never costed as $0, within the filter set.
SELECT provider, model, service_tier, sum(requests)::BIGINT AS requests, count(DISTINCT tenant) AS tenants,
    sum(total_tokens)::BIGINT AS tokens, min(day) AS first_seen, max(day) AS last_seen
FROM mart_spend_daily
WHERE pricing_status = 'unpriced' AND day BETWEEN $start AND $end AND in_scope($tenants, tenant)
  AND in_scope($providers, provider) AND in_scope($models, model)
GROUP BY ALL
ORDER BY requests DESC, provider, model
