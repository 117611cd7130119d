-- rate_cards_at — grain: one row per (provider, model, service tier, context tier) in force on $day
-- (within the provider/model filters): the effective-dated prices, $/1M tokens.
SELECT provider, model, service_tier, min_input_tokens, valid_from, valid_to,
    uncached_input_usd_per_mtok, cache_read_usd_per_mtok, cache_write_5m_usd_per_mtok, cache_write_1h_usd_per_mtok,
    output_usd_per_mtok, reasoning_usd_per_mtok, source
FROM stg_rate_cards
WHERE in_force($day, valid_from, valid_to)
  AND in_scope($providers, provider) AND in_scope($models, model)
ORDER BY provider, model, service_tier, min_input_tokens
