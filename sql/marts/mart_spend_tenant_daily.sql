-- mart_spend_tenant_daily — grain: one row per (day, tenant) for every day of the data's span, zero
-- days included: total spend = API effective + self-hosted GPU cost allocated by tokens with idle shared
-- proportionally (the budget basis), with the robust day-over-day anomaly flag:
--   z = 0.6745 × (spend − median) / MAD over the tenant's trailing 14 days (MAD = median |x − median|)
--   anomaly when |z| ≥ anomaly_robust_z and |spend − previous day| ≥ anomaly_min_change_usd
--   (a flat history, MAD = 0, flags any move of at least the minimum change); needs 7 days with spend
--   in the trailing 14, so a tenant's first days are not anomalies
CREATE OR REPLACE TABLE mart_spend_tenant_daily AS
WITH spend AS (
    SELECT day, tenant, sum(effective_cost_usd) AS spend_usd, sum(CASE WHEN cost_source = 'api' THEN effective_cost_usd END) AS api_usd
    FROM mart_ledger_daily
    WHERE tenant <> '__idle__' AND (driver IS NULL OR (driver = 'tokens' AND idle_policy = 'proportional'))
    GROUP BY ALL
),
-- zero days are filled in only inside the plausible window (build_window, written by the build), so a row a
-- bad clock dated 9999 cannot make the grid 8,000 years long
span AS (SELECT greatest(min(day), (SELECT max(earliest)::DATE FROM build_window)) AS first_day,
                least(max(day), (SELECT max(latest)::DATE FROM build_window)) AS last_day FROM spend),
grid AS (
    SELECT t.tenant, d.day::DATE AS day
    FROM (SELECT DISTINCT tenant FROM spend) t CROSS JOIN span s
    CROSS JOIN unnest(generate_series(s.first_day, s.last_day, INTERVAL 1 DAY)) AS d(day)
),
daily AS (
    SELECT g.day, g.tenant, coalesce(s.spend_usd, 0)::DECIMAL(38, 12) AS spend_usd,
        coalesce(s.api_usd, 0)::DECIMAL(38, 12) AS api_spend_usd
    FROM grid g LEFT JOIN spend s USING (day, tenant)
),
windowed AS (
    SELECT *,
        lag(spend_usd) OVER (PARTITION BY tenant ORDER BY day) AS previous_usd,
        list(spend_usd::DOUBLE) OVER (PARTITION BY tenant ORDER BY day ROWS BETWEEN 14 PRECEDING AND 1 PRECEDING)
            AS history
    FROM daily
),
stats AS (
    SELECT *,
        list_aggregate(history, 'median') AS median_usd,
        list_aggregate(list_transform(history, x -> abs(x - list_aggregate(history, 'median'))), 'median') AS mad_usd
    FROM windowed
)
SELECT day, tenant, spend_usd, api_spend_usd, previous_usd, median_usd, mad_usd,
    CASE WHEN len(list_filter(history, x -> x > 0)) >= 7 AND mad_usd > 0 THEN 0.6745 * (spend_usd::DOUBLE - median_usd) / mad_usd END AS robust_z,
    coalesce(len(list_filter(history, x -> x > 0)) >= 7
        AND abs(spend_usd - previous_usd) >= s.anomaly_min_change_usd
        AND (mad_usd = 0 OR abs(0.6745 * (spend_usd::DOUBLE - median_usd) / mad_usd) >= s.anomaly_robust_z), false)
        AS is_anomaly
FROM stats CROSS JOIN stg_cost_settings s;
