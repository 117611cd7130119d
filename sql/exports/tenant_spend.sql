-- tenant_spend — grain: one row per (tenant, team, cost_source, provider, model) for the month
-- [$start, $period_end) under one GPU allocation: the finance CSV.  Exact decimals; cents are assigned
-- later so the rows add up to the period total to the cent.
SELECT tenant, team, cost_source, provider, model,
    sum(requests)::BIGINT AS requests,
    sum(unpriced_requests)::BIGINT AS unpriced_requests,
    sum(input_tokens)::BIGINT AS input_tokens,
    sum(output_tokens)::BIGINT AS output_tokens,
    sum(list_cost_usd) AS list_cost_usd,
    sum(effective_cost_usd) AS effective_cost_usd
FROM mart_ledger_daily
WHERE day >= $start AND day < $period_end
  AND (driver IS NULL OR (driver = $driver AND idle_policy = $idle_policy))
GROUP BY ALL
ORDER BY tenant, team, cost_source, provider, model
