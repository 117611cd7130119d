-- int_request_costs — grain: one row per gateway request (source, request_id): the priced ledger.
-- list cost  = Σ bucket tokens × bucket price of the one rate-card row in force at start_time for the
--              request's provider, model, service tier and prompt size (long-context tier);
-- effective  = list − contract discount (the largest discount in force for provider/model, if any).
-- The rules are the macros of sql/macros (bucket_pico, unpriced_bucket, in_force, in_tier, discount_pico, …):
-- every other model and query that prices calls the same ones.
-- pricing_status: priced | unpriced (no card, or a bucket with tokens has no price) |
--                 self_hosted (served by a GPU deployment: costed per GPU-hour, not per token) |
--                 gateway_cache_hit (answered by the gateway's cache: no vendor call, $0).
-- avoided_list_usd: for gateway cache hits, what the request would have cost at list (the saving).
-- The matched card's prices are kept (price_*): per-class costs downstream are tokens × price, exactly;
-- tagged_offline: the caller tagged the request as latency-tolerant (batch advisor).
-- Money: prices are $/1M tokens DECIMAL(18,6); tokens × price is exact, in integer pico-dollars (see costed).
-- A view, never stored per request: a build prices requests batch by batch (tokenomics.incremental.batches)
-- and the summing models add each batch up; querying the view prices on the fly with today's cards.
-- project, requested model and region stay in raw_requests (and the lake): no mart reads them, and each
-- column costs every build ~0.05 s per million priced rows held in memory.
-- ledger: raw_requests by start_time — the fact it prices, batch by batch (whole days of start_time) while a build
--   runs; the summing models add the batches up
CREATE OR REPLACE VIEW int_request_costs AS
-- provider and model: the catalogue's names for what the gateway logged (int_model_resolution: ARNs, region
-- and provider prefixes, family providers, fine-tunes, overrides), the logged ones where nothing matched.
WITH req AS (
    SELECT r.* REPLACE (
            CASE WHEN d.deployment_id IS NULL AND mr.card_model IS NOT NULL THEN mr.card_provider ELSE r.provider END
                AS provider,
            CASE WHEN d.deployment_id IS NULL AND mr.card_model IS NOT NULL THEN mr.card_model ELSE r.resolved_model END
                AS resolved_model),
        d.deployment_id IS NOT NULL AS self_hosted
    FROM stg_requests r
    LEFT JOIN (SELECT DISTINCT deployment_id FROM gpu_deployments) d ON d.deployment_id = r.deployment
    LEFT JOIN int_model_resolution mr ON mr.provider = r.provider AND mr.model = r.resolved_model
),
priced AS (
    SELECT req.*,
        rc.valid_from AS rate_valid_from,
        rc.min_input_tokens AS rate_context_tier,
        rc.uncached_input_usd_per_mtok, rc.cache_read_usd_per_mtok, rc.cache_write_5m_usd_per_mtok,
        rc.cache_write_1h_usd_per_mtok, rc.output_usd_per_mtok, rc.reasoning_usd_per_mtok,
        rc.uncached_input_micro_per_mtok, rc.cache_read_micro_per_mtok, rc.cache_write_5m_micro_per_mtok,
        rc.cache_write_1h_micro_per_mtok, rc.output_micro_per_mtok, rc.reasoning_micro_per_mtok,
        rc.provider IS NOT NULL AS has_card,
        -- a card, and a price on it for every bucket that has tokens (sql/macros/pricing.sql: the one check)
        rc.provider IS NOT NULL AND NOT unpriced_bucket(
            req.uncached_input_tokens, req.cache_read_tokens, req.cache_write_5m_tokens, req.cache_write_1h_tokens,
            req.output_tokens, req.reasoning_tokens,
            rc.uncached_input_micro_per_mtok, rc.cache_read_micro_per_mtok, rc.cache_write_5m_micro_per_mtok,
            rc.cache_write_1h_micro_per_mtok, rc.output_micro_per_mtok, rc.reasoning_micro_per_mtok) AS all_buckets_priced
    FROM req
    -- equality keys + ranges without OR (in_force, in_tier: sql/macros/rate_card.sql), so DuckDB hash-joins on
    -- the keys (an OR turns it into a nested loop); a self-hosted request's NULL provider key matches no card
    LEFT JOIN stg_rate_cards rc
        ON rc.provider = CASE WHEN NOT req.self_hosted THEN req.provider END
        AND rc.model = req.resolved_model
        AND rc.service_tier = req.service_tier
        AND in_force(req.start_time, rc.valid_from, rc.valid_to)
        AND in_tier(req.prompt_tokens, rc.min_input_tokens, rc.max_input_tokens)
),
-- discounts: each (provider, model)'s time line cut at every edge of the discounts matching it, with the
-- largest discount in force on each segment; segments do not overlap, so a request joins at most one
-- (an equality + range join: no per-request GLOB, no per-request aggregate joined back).  The names come
-- from the resolver (a few hundred, no scan of the requests); a contract with 'bedrock' covers its family
-- (bedrock_converse).
model_discounts AS (
    SELECT m.provider, m.resolved_model, cd.discount_pct, cd.valid_from, cd.valid_to
    FROM (SELECT DISTINCT coalesce(card_provider, provider) AS provider, coalesce(card_model, model) AS resolved_model
          FROM int_model_resolution) m
    JOIN stg_contract_discounts cd ON contract_covers(cd.provider, cd.model_pattern, m.provider, m.resolved_model)
),
edges AS (
    SELECT provider, resolved_model, valid_from AS edge FROM model_discounts
    UNION
    SELECT provider, resolved_model, valid_to FROM model_discounts WHERE valid_to IS NOT NULL
),
segments AS (
    SELECT provider, resolved_model, edge AS seg_from,
        lead(edge) OVER (PARTITION BY provider, resolved_model ORDER BY edge) AS seg_to
    FROM edges
),
discounts AS (
    SELECT s.provider, s.resolved_model, s.seg_from, s.seg_to, max(md.discount_pct) AS discount_pct
    FROM segments s
    JOIN model_discounts md USING (provider, resolved_model)
    WHERE in_force(s.seg_from, md.valid_from, md.valid_to)
    GROUP BY ALL
),
classified AS (
    SELECT p.*,
        CASE
            WHEN self_hosted THEN 'self_hosted'
            WHEN gateway_cache <> 'miss' THEN 'gateway_cache_hit'
            WHEN NOT all_buckets_priced THEN 'unpriced'
            ELSE 'priced'
        END AS pricing_status,
        CASE
            WHEN self_hosted OR gateway_cache <> 'miss' THEN NULL
            WHEN NOT has_card THEN 'no rate card for ' || provider || '/' || resolved_model || ' (' || service_tier || ')'
            ELSE unpriced_buckets(uncached_input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens,
                                  output_tokens, reasoning_tokens,
                                  uncached_input_micro_per_mtok, cache_read_micro_per_mtok, cache_write_5m_micro_per_mtok,
                                  cache_write_1h_micro_per_mtok, output_micro_per_mtok, reasoning_micro_per_mtok)
        END AS unpriced_reason
    FROM priced p
),
-- Money in integer pico-dollars (1e-12 USD) until the last step: tokens (≤ 10M per bucket) × price in
-- micro-dollars per 1M tokens (≤ $100,000/1M; stg_rate_cards converts once per card) fits BIGINT, and BIGINT
-- arithmetic is exact and ~10× faster than DECIMAL(38) (whose rescaling casts are 128-bit divisions).
-- $/1M × 1e6 = µ$/1M; tokens × µ$/1M = p$.
costed AS (
    SELECT c.*,
        CASE WHEN pricing_status = 'priced' OR all_buckets_priced THEN  -- (a gateway cache hit: what it avoided)
            bucket_pico(uncached_input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens,
                        output_tokens, reasoning_tokens,
                        uncached_input_micro_per_mtok, cache_read_micro_per_mtok, cache_write_5m_micro_per_mtok,
                        cache_write_1h_micro_per_mtok, output_micro_per_mtok, reasoning_micro_per_mtok)
        END AS bucket_pico
    FROM classified c
),
totalled AS (
    SELECT c.*,
        CASE WHEN pricing_status = 'gateway_cache_hit' THEN 0 ELSE bucket_pico END AS list_pico,
        discount_units(d.discount_pct) AS discount_units,  -- percent × 1e4: DECIMAL(7,4) exactly
        coalesce(d.discount_pct, 0) AS discount_pct
    FROM costed c
    LEFT JOIN discounts d
        ON d.provider = CASE WHEN NOT c.self_hosted THEN c.provider END AND d.resolved_model = c.resolved_model
        AND in_force(c.start_time, d.seg_from, d.seg_to)
),
-- discount = list × pct / 100, rounded half up to the pico-dollar (discount_pico: BIGINT arithmetic throughout)
discounted AS (
    SELECT *, discount_pico(list_pico, discount_units) AS discount_pico
    FROM totalled
)
SELECT
    c.source, c.request_id, c.start_time, c.day, c.tenant, c.team, c.provider,
    c.resolved_model AS model, c.deployment, c.service_tier, c.status, c.gateway_cache, c.is_stream,
    c.latency_ms, c.ttft_ms,
    c.uncached_input_tokens, c.cache_read_tokens, c.cache_write_5m_tokens, c.cache_write_1h_tokens,
    c.output_tokens, c.reasoning_tokens, c.prompt_tokens, c.completion_tokens,
    c.pricing_status, c.unpriced_reason, c.rate_valid_from, c.rate_context_tier,
    (c.list_pico * 0.000000000001)::DECIMAL(38, 12) AS list_cost_usd,
    CASE WHEN c.pricing_status = 'gateway_cache_hit' THEN c.bucket_pico * 0.000000000001 END::DECIMAL(38, 12)
        AS avoided_list_usd,
    c.uncached_input_usd_per_mtok AS price_uncached_input, c.cache_read_usd_per_mtok AS price_cache_read,
    c.cache_write_5m_usd_per_mtok AS price_cache_write_5m, c.cache_write_1h_usd_per_mtok AS price_cache_write_1h,
    c.output_usd_per_mtok AS price_output, c.reasoning_usd_per_mtok AS price_reasoning,
    c.tags,
    -- three list_contains: list_has_any costs ~1 s per 1M rows here
    coalesce(list_contains(c.tags, 'workload:offline') OR list_contains(c.tags, 'offline')
             OR list_contains(c.tags, 'batch'), false) AS tagged_offline,
    c.discount_pct,
    (c.discount_pico * 0.000000000001)::DECIMAL(38, 12) AS discount_usd,
    c.reported_cost_usd, c.run_id,
    ((c.list_pico - c.discount_pico) * 0.000000000001)::DECIMAL(38, 12) AS effective_cost_usd
FROM discounted c;
