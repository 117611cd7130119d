-- cache_breakeven — grain: one row per (provider, model) with a standard-tier card carrying cache prices
-- on $day: how many times a cached prefix must be read back before writing it paid off.
--   reads to break even = (write price − input price) / (input price − read price)
-- for 5-minute and 1-hour writes, next to the reads per written token observed in the period — of the
-- tenants the viewer may see (a tenant viewer's reuse is its own, never the other tenants').
WITH observed AS (
    SELECT provider, model, sum(cached_tokens) AS read_tokens, sum(cache_write_tokens) AS write_tokens
    FROM mart_cache_savings_daily
    WHERE mechanism = 'provider_prompt_cache' AND day BETWEEN $start AND $end AND in_scope($tenants, tenant)
    GROUP BY ALL
)
SELECT c.provider, c.model, c.uncached_input_usd_per_mtok AS input_usd_per_mtok,
    c.cache_read_usd_per_mtok AS read_usd_per_mtok,
    c.cache_write_5m_usd_per_mtok AS write_5m_usd_per_mtok, c.cache_write_1h_usd_per_mtok AS write_1h_usd_per_mtok,
    ((c.cache_write_5m_usd_per_mtok - c.uncached_input_usd_per_mtok)
        / (c.uncached_input_usd_per_mtok - c.cache_read_usd_per_mtok))::DECIMAL(10, 3) AS breakeven_reads_5m,
    ((c.cache_write_1h_usd_per_mtok - c.uncached_input_usd_per_mtok)
        / (c.uncached_input_usd_per_mtok - c.cache_read_usd_per_mtok))::DECIMAL(10, 3) AS breakeven_reads_1h,
    (o.read_tokens / nullif(o.write_tokens, 0))::DECIMAL(10, 3) AS observed_reads_per_write
FROM stg_rate_cards c
LEFT JOIN observed o USING (provider, model)
WHERE c.service_tier = 'standard' AND c.min_input_tokens = 0
  AND in_force($day, c.valid_from, c.valid_to)
  AND c.cache_read_usd_per_mtok IS NOT NULL AND c.uncached_input_usd_per_mtok > c.cache_read_usd_per_mtok
ORDER BY c.provider, c.model
