-- stg_rate_cards — grain: one row per (provider, model, service_tier, min_input_tokens, valid_from).
-- valid_to (exclusive) defaults to the next card's valid_from for the same key; max_input_tokens
-- (exclusive) is the next context tier's threshold, so each request matches exactly one row.
-- *_micro_per_mtok: the same prices in integer micro-dollars per 1M tokens (exact: prices have six decimals,
-- at most $100,000/1M; macro micro_per_mtok, sql/macros/pricing.sql), converted once per card so per-request
-- costs are integer products.
CREATE OR REPLACE VIEW stg_rate_cards AS
SELECT
    provider, model, service_tier, min_input_tokens,
    lead(min_input_tokens) OVER (PARTITION BY provider, model, service_tier, valid_from ORDER BY min_input_tokens)
        AS max_input_tokens,
    valid_from,
    coalesce(valid_to, lead(valid_from) OVER (PARTITION BY provider, model, service_tier, min_input_tokens
                                             ORDER BY valid_from)) AS valid_to,
    uncached_input_usd_per_mtok, cache_read_usd_per_mtok, cache_write_5m_usd_per_mtok,
    cache_write_1h_usd_per_mtok, output_usd_per_mtok, reasoning_usd_per_mtok,
    micro_per_mtok(uncached_input_usd_per_mtok) AS uncached_input_micro_per_mtok,
    micro_per_mtok(cache_read_usd_per_mtok) AS cache_read_micro_per_mtok,
    micro_per_mtok(cache_write_5m_usd_per_mtok) AS cache_write_5m_micro_per_mtok,
    micro_per_mtok(cache_write_1h_usd_per_mtok) AS cache_write_1h_micro_per_mtok,
    micro_per_mtok(output_usd_per_mtok) AS output_micro_per_mtok,
    micro_per_mtok(reasoning_usd_per_mtok) AS reasoning_micro_per_mtok,
    source
FROM rate_cards;
