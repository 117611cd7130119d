-- mart_request_shape_daily — grain: one row per (day, tenant, provider, model, input_bucket, output_bucket)
-- for model-served requests (gateway cache hits excluded).  Buckets are powers of two: bucket b holds
-- lengths in [2^b, 2^(b+1)) tokens (b = 0 also holds 0).  The what-if page reads the request-length
-- distribution of any tenant/route from it without touching request-level rows.
-- incremental: day by day, summing requests, prompt_tokens, completion_tokens
CREATE OR REPLACE TABLE mart_request_shape_daily AS
SELECT
    day, tenant, provider, model,
    CAST(floor(log2(greatest(prompt_tokens, 1))) AS INTEGER) AS input_bucket,
    CAST(floor(log2(greatest(completion_tokens, 1))) AS INTEGER) AS output_bucket,
    count(*) AS requests,
    sum(prompt_tokens)::BIGINT AS prompt_tokens,
    sum(completion_tokens)::BIGINT AS completion_tokens
FROM int_request_costs
WHERE gateway_cache = 'miss'
GROUP BY ALL;
