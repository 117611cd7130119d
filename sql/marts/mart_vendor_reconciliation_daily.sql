-- mart_vendor_reconciliation_daily — grain: one row per (day, provider, model_family, token_class, service_tier):
-- our effective cost of the gateway's requests next to what the vendor's cost API says it charged, and the
-- variance.  Both sides' model names go through the one resolver (int_model_resolution): vendors report dated
-- snapshots where gateways log aliases, so models are compared by family (the priced name without its date).
-- Where a vendor's cost rows for a day are not split by model (grouped otherwise), that provider-day is
-- compared per provider (model_family NULL on both sides).  NULL on one side means it has no data that day.
-- incremental: day by day
CREATE OR REPLACE TABLE mart_vendor_reconciliation_daily AS
WITH reported AS (
    SELECT vc.bucket_start::DATE AS day, vc.provider, mr.model_family, vc.token_class, vc.service_tier, vc.amount_usd
    FROM vendor_costs vc
    LEFT JOIN int_model_resolution mr ON mr.provider = vc.provider AND mr.model = vc.model
),
split AS (
    SELECT day, provider, bool_and(model_family IS NOT NULL) AS by_model FROM reported GROUP BY ALL
),
theirs AS (
    SELECT r.day, r.provider, CASE WHEN s.by_model THEN r.model_family END AS model_family, r.token_class,
        r.service_tier, sum(r.amount_usd) AS vendor_usd
    FROM reported r JOIN split s USING (day, provider)
    GROUP BY ALL
),
ours AS (
    -- vendors bill reasoning tokens as output
    SELECT m.day, m.provider,
        CASE WHEN s.by_model THEN regexp_replace(m.model, '(-\d{4}-\d{2}-\d{2}|-\d{8}|@\d{8})$', '') END AS model_family,
        CASE m.token_class WHEN 'reasoning' THEN 'output' ELSE m.token_class END AS token_class,
        m.service_tier, sum(net_of_discount(m.tokens * m.price * 0.000001, m.discount_pct)) AS computed_usd
    FROM int_request_meters m
    LEFT JOIN split s ON s.day = m.day AND s.provider = m.provider
    WHERE m.provider IN (SELECT DISTINCT provider FROM vendor_costs)
      AND EXISTS (SELECT 1 FROM vendor_costs)  -- nothing to compare with: skip the scan
    GROUP BY ALL
)
SELECT coalesce(o.day, t.day) AS day, coalesce(o.provider, t.provider) AS provider,
    coalesce(o.model_family, t.model_family) AS model_family,
    coalesce(o.token_class, t.token_class) AS token_class, coalesce(o.service_tier, t.service_tier) AS service_tier,
    o.computed_usd::DECIMAL(38, 12) AS computed_usd, t.vendor_usd::DECIMAL(38, 12) AS vendor_usd,
    (o.computed_usd - t.vendor_usd)::DECIMAL(38, 12) AS variance_usd
FROM ours o FULL OUTER JOIN theirs t
    ON o.day = t.day AND o.provider = t.provider AND o.model_family IS NOT DISTINCT FROM t.model_family
    AND o.token_class = t.token_class AND o.service_tier = t.service_tier;
