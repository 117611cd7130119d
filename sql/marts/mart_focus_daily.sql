-- mart_focus_daily — grain: one row per (day, tenant, provider, model, service_tier, context_tier, price_from,
-- discount_pct, meter) for API tokens, and per (day, tenant, deployment_id, driver, idle_policy, list_unit_price)
-- for allocated self-hosted GPU hours (day: the charge day; list_unit_price: $/GPU-hour): the rows of a FOCUS
-- 1.3 export before renaming.  Unit prices are constant within a row, so ListCost = ListUnitPrice × PricingQuantity
-- holds exactly; tokens are priced per 1M (PricingUnit '1000000 Tokens', FOCUS unit format: a number, then the unit), GPUs per hour (capacity + energy
-- for owned GPUs).  A table (refreshed by day), so an export reads rows, not every request.  Contracted =
-- list net of the contract discount (net_of_discount, sql/macros/pricing.sql: the ledger's rounding).
-- incremental: day by day
CREATE OR REPLACE TABLE mart_focus_daily AS
WITH api AS (
    SELECT day, tenant, provider, model, service_tier, rate_context_tier AS context_tier, rate_valid_from AS price_from,
        discount_pct, meter, 'api' AS charge_source, NULL::VARCHAR AS deployment_id, NULL::VARCHAR AS driver,
        NULL::VARCHAR AS idle_policy, NULL::VARCHAR AS gpu_type, NULL::VARCHAR AS gpu_precision,
        sum(tokens)::DECIMAL(38, 6) AS consumed_quantity, 'Tokens' AS consumed_unit,
        (sum(tokens) * 0.000001)::DECIMAL(38, 12) AS pricing_quantity, '1000000 Tokens' AS pricing_unit,
        price::DECIMAL(38, 12) AS list_unit_price,
        net_of_discount(price, discount_pct) AS contracted_unit_price,
        (sum(tokens) * price * 0.000001)::DECIMAL(38, 12) AS list_cost,
        net_of_discount(sum(tokens) * price * 0.000001, discount_pct) AS contracted_cost,
        NULL::DOUBLE AS allocated_ratio, NULL::DOUBLE AS usage_quantity
    FROM int_request_meters
    GROUP BY day, tenant, provider, model, service_tier, rate_context_tier, rate_valid_from, discount_pct, meter, price
),
gpu AS (
    SELECT a.hour::DATE AS day, a.tenant, 'self-hosted' AS provider, a.model, 'standard' AS service_tier,
        0 AS context_tier, NULL::TIMESTAMPTZ AS price_from, 0 AS discount_pct, 'GPU Hours' AS meter,
        'self_hosted' AS charge_source, a.deployment_id, a.driver, a.idle_policy, d.gpu_type,
        d."precision" AS gpu_precision,
        (sum(a.allocated_micro) * 0.000001 / (g.gpu_cost_usd / g.gpu_count))::DECIMAL(38, 6) AS consumed_quantity,
        'GPU Hours' AS consumed_unit,
        (sum(a.allocated_micro) * 0.000001 / (g.gpu_cost_usd / g.gpu_count))::DECIMAL(38, 12) AS pricing_quantity,
        'GPU Hours' AS pricing_unit,
        (g.gpu_cost_usd / g.gpu_count)::DECIMAL(38, 12) AS list_unit_price,
        (g.gpu_cost_usd / g.gpu_count)::DECIMAL(38, 12) AS contracted_unit_price,
        (sum(a.allocated_micro) * 0.000001)::DECIMAL(38, 12) AS list_cost,
        (sum(a.allocated_micro) * 0.000001)::DECIMAL(38, 12) AS contracted_cost,
        sum(a.allocated_micro) / sum(g.gpu_cost_usd * 1000000) AS allocated_ratio,
        sum(a.prompt_tokens + a.completion_tokens)::DOUBLE AS usage_quantity
    FROM int_gpu_allocation_hourly a
    JOIN int_gpu_hourly g ON g.deployment_id = a.deployment_id AND g.hour = a.hour
    JOIN gpu_deployments d ON d.deployment_id = a.deployment_id
    GROUP BY a.hour::DATE, a.tenant, a.model, a.deployment_id, a.driver, a.idle_policy, d.gpu_type, d."precision",
        g.gpu_cost_usd, g.gpu_count
)
SELECT * FROM api UNION ALL SELECT * FROM gpu;
