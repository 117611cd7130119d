-- api_prices — grain: one row per (provider, model, service_tier) of per-token API price cards in force
-- on $day, for requests of $isl input and $osl output tokens (the context tier that size falls in).
-- Blended $/1M tokens = (isl x input price + osl x output price) / (isl + osl): comparable with the
-- self-hosted $/1M total tokens; usd_for_traffic prices $requests such requests.  Exact decimals.
-- A card that prices both input and output at $0 is no price (LiteLLM lists free previews and placeholders that way,
-- e.g. vertex_ai-llama_models/meta/llama-3.1-70b-instruct-maas): never the cheapest API, as unknown is never $0.
SELECT
    provider, model, service_tier,
    uncached_input_usd_per_mtok, output_usd_per_mtok,
    ((uncached_input_usd_per_mtok * $isl + output_usd_per_mtok * $osl) / ($isl + $osl))::DECIMAL(18, 6)
        AS usd_per_mtok_blended,
    ((uncached_input_usd_per_mtok * $isl + output_usd_per_mtok * $osl) * 0.000001)::DECIMAL(18, 9)
        AS usd_per_request,
    ((uncached_input_usd_per_mtok * $isl + output_usd_per_mtok * $osl) * 0.000001 * $requests)::DECIMAL(18, 2)
        AS usd_for_traffic
FROM stg_rate_cards
WHERE service_tier IN ('standard', 'batch')
  AND in_force($day, valid_from, valid_to) AND in_tier($isl, min_input_tokens, max_input_tokens)
  AND uncached_input_usd_per_mtok IS NOT NULL AND output_usd_per_mtok IS NOT NULL
  AND uncached_input_usd_per_mtok + output_usd_per_mtok > 0
ORDER BY usd_per_mtok_blended, provider, model, service_tier
