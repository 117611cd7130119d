-- recommend_models — grain: one row per (provider, model, service_tier, candidate): the period's API tokens of a
-- route (gateway cache hits excluded) at what they cost, and the same tokens priced on another model of the same
-- provider that the organisation already uses, at the cards and contract discounts in force at $price_at.
-- A candidate is listed only when it prices every token of the route (no bucket left unpriced).  Priced by the
-- ledger's rules (sql/macros): token_cost, in_force, in_tier, contract_covers, net_of_discount.
WITH usage AS (
    SELECT provider, model, service_tier, prompt_floor,
        sum(requests) AS requests, sum(uncached_input_tokens) AS uncached_input_tokens,
        sum(cache_read_tokens) AS cache_read_tokens, sum(cache_write_5m_tokens) AS cache_write_5m_tokens,
        sum(cache_write_1h_tokens) AS cache_write_1h_tokens, sum(output_tokens) AS output_tokens,
        sum(reasoning_tokens) AS reasoning_tokens, sum(effective_cost_usd) AS effective_cost_usd,
        sum(unpriced_requests) AS unpriced_requests
    FROM mart_usage_for_repricing
    WHERE day BETWEEN $start AND $end
    GROUP BY ALL
),
candidates AS (
    SELECT DISTINCT provider, model AS candidate FROM usage
),
priced AS (
    SELECT u.*, k.candidate,
        token_cost(u.uncached_input_tokens, u.cache_read_tokens, u.cache_write_5m_tokens, u.cache_write_1h_tokens,
            u.output_tokens, u.reasoning_tokens, c.uncached_input_micro_per_mtok, c.cache_read_micro_per_mtok,
            c.cache_write_5m_micro_per_mtok, c.cache_write_1h_micro_per_mtok, c.output_micro_per_mtok,
            c.reasoning_micro_per_mtok) AS candidate_list_usd,
        coalesce((SELECT max(d.discount_pct) FROM stg_contract_discounts d
                  WHERE contract_covers(d.provider, d.model_pattern, u.provider, k.candidate)
                    AND in_force($price_at, d.valid_from, d.valid_to)), 0) AS candidate_pct
    FROM usage u
    JOIN candidates k ON k.provider = u.provider AND k.candidate <> u.model
    LEFT JOIN stg_rate_cards c
        ON c.provider = u.provider AND c.model = k.candidate AND c.service_tier = u.service_tier
        AND in_force($price_at, c.valid_from, c.valid_to) AND in_tier(u.prompt_floor, c.min_input_tokens, c.max_input_tokens)
    WHERE u.unpriced_requests = 0
)
SELECT provider, model, service_tier, candidate,
    sum(requests)::BIGINT AS requests,
    sum(uncached_input_tokens + cache_read_tokens + cache_write_5m_tokens + cache_write_1h_tokens)::BIGINT AS input_tokens,
    sum(output_tokens + reasoning_tokens)::BIGINT AS output_tokens,
    sum(effective_cost_usd)::DECIMAL(38, 12) AS today_usd,
    sum(net_of_discount(candidate_list_usd, candidate_pct))::DECIMAL(38, 12) AS projected_usd
FROM priced
GROUP BY ALL
HAVING count(*) = count(candidate_list_usd)
ORDER BY today_usd - projected_usd DESC, provider, model, candidate
