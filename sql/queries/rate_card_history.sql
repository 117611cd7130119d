-- rate_card_history — grain: one row per (provider, model, tier, valid_from) at the base context tier:
-- how input and output prices changed over time.
SELECT provider || '/' || model AS model, service_tier, valid_from, valid_to,
    uncached_input_usd_per_mtok, output_usd_per_mtok
FROM stg_rate_cards
WHERE min_input_tokens = 0 AND in_scope($providers, provider) AND in_scope($models, model)
ORDER BY model, service_tier, valid_from
