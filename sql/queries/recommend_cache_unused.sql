-- recommend_cache_unused — grain: one row per (provider, model) of standard-tier API traffic that read nothing from the
-- provider's prompt cache in the period although its card prices cache reads below input (cards in force at
-- $price_at, first context tier): its uncached input tokens at the input price, the same tokens all at the
-- cache-read price, and the share of input the organisation's routes that do cache read from it (the median over
-- that provider's caching routes, else over all caching routes).
WITH usage AS (
    SELECT provider, model, sum(requests) AS requests, sum(uncached_input_tokens) AS uncached,
        sum(cache_read_tokens) AS reads
    FROM mart_usage_for_repricing
    WHERE day BETWEEN $start AND $end AND service_tier = 'standard'
    GROUP BY ALL
),
by_provider AS (
    SELECT provider, median(reads / (reads + uncached)) AS read_share FROM usage WHERE reads > 0 GROUP BY provider
),
overall AS (
    SELECT median(reads / (reads + uncached)) AS read_share FROM usage WHERE reads > 0
)
SELECT u.provider, u.model, u.requests::BIGINT AS requests, u.uncached::BIGINT AS uncached_input_tokens,
    coalesce(p.read_share, o.read_share)::DECIMAL(10, 4) AS read_share,
    (u.uncached * c.uncached_input_usd_per_mtok * 0.000001)::DECIMAL(38, 12) AS today_usd,
    (u.uncached * c.cache_read_usd_per_mtok * 0.000001)::DECIMAL(38, 12) AS all_read_usd
FROM usage u
CROSS JOIN overall o
LEFT JOIN by_provider p USING (provider)
JOIN stg_rate_cards c ON c.provider = u.provider AND c.model = u.model AND c.service_tier = 'standard'
    AND c.min_input_tokens = 0 AND in_force($price_at, c.valid_from, c.valid_to)
WHERE u.reads = 0 AND u.uncached > 0 AND coalesce(p.read_share, o.read_share) IS NOT NULL
  AND c.cache_read_usd_per_mtok < c.uncached_input_usd_per_mtok
ORDER BY today_usd DESC, provider, model
