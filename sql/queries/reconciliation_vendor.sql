-- reconciliation_vendor — grain: one row per (provider, model_family, token_class, service_tier) in the period
-- (model_family NULL where the vendor's report was not split by model): our
-- effective cost of the gateway's requests next to what the vendor's cost API says it charged.  Only
-- days where both sides have data are summed, so a missing export does not read as a variance.
SELECT provider, model_family, token_class, service_tier,
    count(*) AS days_compared,
    sum(computed_usd)::DECIMAL(38, 6) AS computed_usd,
    sum(vendor_usd)::DECIMAL(38, 6) AS vendor_usd,
    sum(variance_usd)::DECIMAL(38, 6) AS variance_usd,
    round(sum(variance_usd) * 100 / nullif(sum(vendor_usd), 0), 2) AS variance_pct
FROM mart_vendor_reconciliation_daily
WHERE day BETWEEN $start AND $end AND computed_usd IS NOT NULL AND vendor_usd IS NOT NULL
  AND in_scope($providers, provider)
GROUP BY ALL
ORDER BY abs(sum(variance_usd)) DESC, provider, model_family, token_class, service_tier
