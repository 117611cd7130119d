-- recommend_cache — grain: one row per (provider, model) whose API requests wrote 1-hour prompt-cache entries in the
-- period: those tokens, what they cost at the 1-hour write price and what the same writes cost at the 5-minute price
-- (cards in force at $price_at, standard tier, first context tier), and the reads per written token observed.
WITH usage AS (
    SELECT provider, model, sum(cache_write_1h_tokens) AS write_1h_tokens, sum(cache_read_tokens) AS read_tokens,
        sum(cache_write_5m_tokens + cache_write_1h_tokens) AS write_tokens
    FROM mart_usage_for_repricing
    WHERE day BETWEEN $start AND $end AND service_tier = 'standard'
    GROUP BY ALL
    HAVING sum(cache_write_1h_tokens) > 0
)
SELECT u.provider, u.model, u.write_1h_tokens::BIGINT AS write_1h_tokens,
    (u.read_tokens / nullif(u.write_tokens, 0))::DECIMAL(10, 3) AS observed_reads_per_write,
    -- the same tokens as 1h writes (today) and as 5m writes (projected): token_cost's buckets 4 and 3
    token_cost(0, 0, 0, u.write_1h_tokens, 0, 0, c.uncached_input_micro_per_mtok, c.cache_read_micro_per_mtok,
               c.cache_write_5m_micro_per_mtok, c.cache_write_1h_micro_per_mtok, c.output_micro_per_mtok,
               c.reasoning_micro_per_mtok) AS today_usd,
    token_cost(0, 0, u.write_1h_tokens, 0, 0, 0, c.uncached_input_micro_per_mtok, c.cache_read_micro_per_mtok,
               c.cache_write_5m_micro_per_mtok, c.cache_write_1h_micro_per_mtok, c.output_micro_per_mtok,
               c.reasoning_micro_per_mtok) AS projected_usd
FROM usage u
JOIN stg_rate_cards c ON c.provider = u.provider AND c.model = u.model AND c.service_tier = 'standard'
    AND c.min_input_tokens = 0 AND in_force($price_at, c.valid_from, c.valid_to)
WHERE c.cache_write_1h_usd_per_mtok > c.cache_write_5m_usd_per_mtok
ORDER BY today_usd - projected_usd DESC
