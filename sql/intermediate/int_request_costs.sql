-- int_request_costs — grain: one row per gateway request (source, request_id): the priced ledger.
-- list cost  = Σ bucket tokens × bucket price of the one rate-card row in force at start_time for the
--              request's provider, model, service tier and prompt size (long-context tier);
-- effective  = list − contract discount (the largest discount in force for provider/model, if any).
-- pricing_status: priced | unpriced (no card, or a bucket with tokens has no price) |
--                 self_hosted (served by a GPU deployment: costed per GPU-hour, not per token) |
--                 gateway_cache_hit (answered by the gateway's cache: no vendor call, $0).
-- avoided_list_usd: for gateway cache hits, what the request would have cost at list (the saving).
-- The matched card's prices are kept (price_*): per-class costs downstream are tokens × price, exactly;
-- tagged_offline: the caller tagged the request as latency-tolerant (batch advisor).
-- Money: prices are $/1M tokens DECIMAL(18,6); tokens × price is exact micro-dollars; × 0.000001 → USD.
-- incremental: run_id by run
CREATE OR REPLACE TABLE int_request_costs AS
WITH req AS (
    SELECT r.*, d.deployment_id IS NOT NULL AS self_hosted
    FROM stg_requests r
    LEFT JOIN (SELECT DISTINCT deployment_id FROM gpu_deployments) d ON d.deployment_id = r.deployment
),
priced AS (
    SELECT req.*,
        rc.valid_from AS rate_valid_from,
        rc.min_input_tokens AS rate_context_tier,
        rc.uncached_input_usd_per_mtok, rc.cache_read_usd_per_mtok, rc.cache_write_5m_usd_per_mtok,
        rc.cache_write_1h_usd_per_mtok, rc.output_usd_per_mtok, rc.reasoning_usd_per_mtok,
        rc.provider IS NOT NULL AS has_card
    FROM req
    LEFT JOIN stg_rate_cards rc
        ON rc.provider = req.provider
        AND rc.model = req.resolved_model
        AND rc.service_tier = req.service_tier
        AND req.start_time >= rc.valid_from
        AND (rc.valid_to IS NULL OR req.start_time < rc.valid_to)
        AND req.prompt_tokens >= rc.min_input_tokens
        AND (rc.max_input_tokens IS NULL OR req.prompt_tokens < rc.max_input_tokens)
        AND NOT req.self_hosted
),
discounts AS (
    SELECT req.source, req.request_id, max(cd.discount_pct) AS discount_pct
    FROM req
    JOIN stg_contract_discounts cd
        ON cd.provider = req.provider
        AND req.resolved_model GLOB cd.model_pattern
        AND req.start_time >= cd.valid_from
        AND (cd.valid_to IS NULL OR req.start_time < cd.valid_to)
    WHERE NOT req.self_hosted
    GROUP BY ALL
),
classified AS (
    SELECT p.*,
        CASE
            WHEN self_hosted THEN 'self_hosted'
            WHEN gateway_cache <> 'miss' THEN 'gateway_cache_hit'
            WHEN NOT has_card THEN 'unpriced'
            WHEN (uncached_input_tokens > 0 AND uncached_input_usd_per_mtok IS NULL)
              OR (cache_read_tokens > 0 AND cache_read_usd_per_mtok IS NULL)
              OR (cache_write_5m_tokens > 0 AND cache_write_5m_usd_per_mtok IS NULL)
              OR (cache_write_1h_tokens > 0 AND cache_write_1h_usd_per_mtok IS NULL)
              OR (output_tokens > 0 AND output_usd_per_mtok IS NULL)
              OR (reasoning_tokens > 0 AND reasoning_usd_per_mtok IS NULL) THEN 'unpriced'
            ELSE 'priced'
        END AS pricing_status,
        has_card
            AND NOT (uncached_input_tokens > 0 AND uncached_input_usd_per_mtok IS NULL)
            AND NOT (cache_read_tokens > 0 AND cache_read_usd_per_mtok IS NULL)
            AND NOT (cache_write_5m_tokens > 0 AND cache_write_5m_usd_per_mtok IS NULL)
            AND NOT (cache_write_1h_tokens > 0 AND cache_write_1h_usd_per_mtok IS NULL)
            AND NOT (output_tokens > 0 AND output_usd_per_mtok IS NULL)
            AND NOT (reasoning_tokens > 0 AND reasoning_usd_per_mtok IS NULL) AS all_buckets_priced,
        CASE
            WHEN self_hosted OR gateway_cache <> 'miss' THEN NULL
            WHEN NOT has_card THEN 'no rate card for ' || provider || '/' || resolved_model || ' (' || service_tier || ')'
            ELSE nullif(concat_ws(', ',
                CASE WHEN uncached_input_tokens > 0 AND uncached_input_usd_per_mtok IS NULL THEN 'no input price' END,
                CASE WHEN cache_read_tokens > 0 AND cache_read_usd_per_mtok IS NULL THEN 'no cache-read price' END,
                CASE WHEN cache_write_5m_tokens > 0 AND cache_write_5m_usd_per_mtok IS NULL THEN 'no 5m cache-write price' END,
                CASE WHEN cache_write_1h_tokens > 0 AND cache_write_1h_usd_per_mtok IS NULL THEN 'no 1h cache-write price' END,
                CASE WHEN output_tokens > 0 AND output_usd_per_mtok IS NULL THEN 'no output price' END,
                CASE WHEN reasoning_tokens > 0 AND reasoning_usd_per_mtok IS NULL THEN 'no reasoning price' END
            ), '')
        END AS unpriced_reason
    FROM priced p
),
costed AS (
    SELECT c.*,
        CASE WHEN pricing_status = 'priced' OR all_buckets_priced THEN (uncached_input_tokens * coalesce(uncached_input_usd_per_mtok, 0)) * 0.000001 END AS list_uncached_input_usd,
        CASE WHEN pricing_status = 'priced' OR all_buckets_priced THEN (cache_read_tokens * coalesce(cache_read_usd_per_mtok, 0)) * 0.000001 END AS list_cache_read_usd,
        CASE WHEN pricing_status = 'priced' OR all_buckets_priced THEN (cache_write_5m_tokens * coalesce(cache_write_5m_usd_per_mtok, 0)) * 0.000001 END AS list_cache_write_5m_usd,
        CASE WHEN pricing_status = 'priced' OR all_buckets_priced THEN (cache_write_1h_tokens * coalesce(cache_write_1h_usd_per_mtok, 0)) * 0.000001 END AS list_cache_write_1h_usd,
        CASE WHEN pricing_status = 'priced' OR all_buckets_priced THEN (output_tokens * coalesce(output_usd_per_mtok, 0)) * 0.000001 END AS list_output_usd,
        CASE WHEN pricing_status = 'priced' OR all_buckets_priced THEN (reasoning_tokens * coalesce(reasoning_usd_per_mtok, 0)) * 0.000001 END AS list_reasoning_usd
    FROM classified c
),
totalled AS (
    SELECT *,
        list_uncached_input_usd + list_cache_read_usd + list_cache_write_5m_usd + list_cache_write_1h_usd
            + list_output_usd + list_reasoning_usd AS bucket_total,
        CASE WHEN pricing_status = 'gateway_cache_hit' THEN 0 ELSE
            list_uncached_input_usd + list_cache_read_usd + list_cache_write_5m_usd + list_cache_write_1h_usd
            + list_output_usd + list_reasoning_usd END AS list_total
    FROM costed
)
SELECT *, (list_cost_usd - discount_usd)::DECIMAL(38, 12) AS effective_cost_usd
FROM (
SELECT
    c.source, c.request_id, c.start_time, c.day, c.tenant, c.team, c.project, c.provider, c.requested_model,
    c.resolved_model AS model, c.deployment, c.region, c.service_tier, c.status, c.gateway_cache, c.is_stream,
    c.latency_ms, c.ttft_ms,
    c.uncached_input_tokens, c.cache_read_tokens, c.cache_write_5m_tokens, c.cache_write_1h_tokens,
    c.output_tokens, c.reasoning_tokens, c.prompt_tokens, c.completion_tokens,
    c.pricing_status, c.unpriced_reason, c.rate_valid_from, c.rate_context_tier,
    c.list_total::DECIMAL(38, 12) AS list_cost_usd,
    CASE WHEN c.pricing_status = 'gateway_cache_hit' THEN c.bucket_total END::DECIMAL(38, 12) AS avoided_list_usd,
    c.uncached_input_usd_per_mtok AS price_uncached_input, c.cache_read_usd_per_mtok AS price_cache_read,
    c.cache_write_5m_usd_per_mtok AS price_cache_write_5m, c.cache_write_1h_usd_per_mtok AS price_cache_write_1h,
    c.output_usd_per_mtok AS price_output, c.reasoning_usd_per_mtok AS price_reasoning,
    c.tags,
    list_has_any(coalesce(c.tags, []), ['workload:offline', 'offline', 'batch']) AS tagged_offline,
    coalesce(d.discount_pct, 0) AS discount_pct,
    (c.list_total * coalesce(d.discount_pct, 0) * 0.01)::DECIMAL(38, 12) AS discount_usd,
    c.reported_cost_usd, c.run_id
FROM totalled c
LEFT JOIN discounts d ON d.source = c.source AND d.request_id = c.request_id
);
