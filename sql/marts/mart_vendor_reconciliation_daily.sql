-- mart_vendor_reconciliation_daily — grain: one row per (day, provider, token_class, service_tier):
-- our effective cost of the gateway's requests next to what the vendor's cost API says it charged,
-- and the variance.  Model names differ between the two sides (dated snapshots vs aliases), so the
-- comparison is per provider, token class and tier; NULL on one side means it has no data that day.
CREATE OR REPLACE TABLE mart_vendor_reconciliation_daily AS
WITH ours AS (
    SELECT r.day, r.provider, m.token_class, r.service_tier,
        sum(m.tokens * m.price * (100 - r.discount_pct)) * 0.00000001 AS computed_usd
    FROM int_request_costs r
    CROSS JOIN LATERAL (VALUES
        ('uncached_input', r.uncached_input_tokens, r.price_uncached_input),
        ('cache_read', r.cache_read_tokens, r.price_cache_read),
        ('cache_write_5m', r.cache_write_5m_tokens, r.price_cache_write_5m),
        ('cache_write_1h', r.cache_write_1h_tokens, r.price_cache_write_1h),
        ('output', r.output_tokens, r.price_output),
        ('output', r.reasoning_tokens, r.price_reasoning)
    ) m(token_class, tokens, price)
    WHERE r.pricing_status = 'priced' AND m.tokens > 0 AND r.provider IN (SELECT DISTINCT provider FROM vendor_costs)
      AND EXISTS (SELECT 1 FROM vendor_costs)  -- nothing to compare with: skip the scan
    GROUP BY ALL
),
theirs AS (
    SELECT bucket_start::DATE AS day, provider, token_class, service_tier, sum(amount_usd) AS vendor_usd
    FROM vendor_costs GROUP BY ALL
)
SELECT coalesce(o.day, t.day) AS day, coalesce(o.provider, t.provider) AS provider,
    coalesce(o.token_class, t.token_class) AS token_class, coalesce(o.service_tier, t.service_tier) AS service_tier,
    o.computed_usd::DECIMAL(38, 12) AS computed_usd, t.vendor_usd::DECIMAL(38, 12) AS vendor_usd,
    (o.computed_usd - t.vendor_usd)::DECIMAL(38, 12) AS variance_usd
FROM ours o FULL OUTER JOIN theirs t
    ON o.day = t.day AND o.provider = t.provider AND o.token_class = t.token_class AND o.service_tier = t.service_tier;
