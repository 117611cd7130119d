-- unpriced — grain: one row per (provider, model, service_tier, reason) never priced at $0.
SELECT provider, model, service_tier, unpriced_reason AS reason, requests, tenants, total_tokens, first_seen, last_seen
FROM mart_unpriced
ORDER BY requests DESC
