-- mart_vendor_reconciliation_daily — grain: one row per (day, provider, token_class, service_tier):
-- our effective cost of the gateway's requests next to what the vendor's cost API says it charged,
-- and the variance.  Model names differ between the two sides (dated snapshots vs aliases), so the
-- comparison is per provider, token class and tier; NULL on one side means it has no data that day.
-- incremental: day by day
CREATE OR REPLACE TABLE mart_vendor_reconciliation_daily AS
WITH ours AS (
    -- vendors bill reasoning tokens as output
    SELECT day, provider, CASE token_class WHEN 'reasoning' THEN 'output' ELSE token_class END AS token_class,
        service_tier, sum(tokens * price * (100 - discount_pct)) * 0.00000001 AS computed_usd
    FROM int_request_meters
    WHERE provider IN (SELECT DISTINCT provider FROM vendor_costs)
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
