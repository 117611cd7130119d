-- reprice — grain: one row per (provider, model, service_tier): the period's API tokens (gateway cache
-- hits excluded) at what they cost, next to the same tokens at the rate cards in force at $price_at,
-- discounted by $discount_pct when given (a proposed deal) or else by the contracts in force then.
-- Tokens with no card (or a missing price) at $price_at stay unpriced: counted, not costed.  The pricing rules
-- are the ledger's (sql/macros): token_cost, the card in force (in_force, in_tier), contract_covers, and the
-- discount rounded half up to the pico-dollar per priced row (net_of_discount).
WITH usage AS (
    SELECT provider, model, service_tier, prompt_floor,
        sum(requests) AS requests, sum(uncached_input_tokens) AS uncached_input_tokens,
        sum(cache_read_tokens) AS cache_read_tokens, sum(cache_write_5m_tokens) AS cache_write_5m_tokens,
        sum(cache_write_1h_tokens) AS cache_write_1h_tokens, sum(output_tokens) AS output_tokens,
        sum(reasoning_tokens) AS reasoning_tokens, sum(list_cost_usd) AS list_cost_usd,
        sum(effective_cost_usd) AS effective_cost_usd, sum(unpriced_requests) AS unpriced_requests
    FROM mart_usage_for_repricing
    WHERE day BETWEEN $start AND $end AND in_scope($tenants, tenant) AND in_scope($providers, provider)
      AND in_scope($models, model)
    GROUP BY ALL
),
priced AS (
    SELECT u.*,
        CASE WHEN c.provider IS NOT NULL THEN token_cost(
            u.uncached_input_tokens, u.cache_read_tokens, u.cache_write_5m_tokens, u.cache_write_1h_tokens,
            u.output_tokens, u.reasoning_tokens, c.uncached_input_micro_per_mtok, c.cache_read_micro_per_mtok,
            c.cache_write_5m_micro_per_mtok, c.cache_write_1h_micro_per_mtok, c.output_micro_per_mtok,
            c.reasoning_micro_per_mtok) END AS repriced_list_usd,
        (SELECT max(d.discount_pct) FROM stg_contract_discounts d
         WHERE contract_covers(d.provider, d.model_pattern, u.provider, u.model)
           AND in_force($price_at, d.valid_from, d.valid_to)) AS contract_pct
    FROM usage u
    LEFT JOIN stg_rate_cards c
        ON c.provider = u.provider AND c.model = u.model AND c.service_tier = u.service_tier
        AND in_force($price_at, c.valid_from, c.valid_to) AND in_tier(u.prompt_floor, c.min_input_tokens, c.max_input_tokens)
)
SELECT provider, model, service_tier,
    sum(requests)::BIGINT AS requests,
    sum(requests) FILTER (WHERE repriced_list_usd IS NULL)::BIGINT AS unpriced_at_new_prices,
    sum(list_cost_usd)::DECIMAL(18, 2) AS actual_list_usd,
    sum(effective_cost_usd)::DECIMAL(18, 2) AS actual_effective_usd,
    sum(repriced_list_usd)::DECIMAL(18, 2) AS repriced_list_usd,
    sum(net_of_discount(repriced_list_usd, coalesce($discount_pct, contract_pct)))::DECIMAL(18, 2)
        AS repriced_effective_usd,
    (sum(net_of_discount(repriced_list_usd, coalesce($discount_pct, contract_pct)))
        - sum(effective_cost_usd) FILTER (WHERE repriced_list_usd IS NOT NULL))::DECIMAL(18, 2) AS change_usd
FROM priced
GROUP BY ALL
ORDER BY actual_effective_usd DESC NULLS LAST, provider, model, service_tier
