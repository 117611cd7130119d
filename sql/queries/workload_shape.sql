-- workload_shape — grain: one row per (kind, bucket): how many model-served requests have input
-- (kind = 'input') or output (kind = 'output') length in [2^bucket, 2^(bucket+1)), with the share and
-- cumulative share of requests, for the what-if page's length distribution (NULL filters = all).
WITH scoped AS (
    SELECT * FROM mart_request_shape_daily
    WHERE day BETWEEN $start AND $end
      AND in_scope($tenants, tenant)
      AND ($route IS NULL OR provider || '/' || model = $route)
),
buckets AS (
    SELECT 'input' AS kind, input_bucket AS bucket, sum(requests) AS requests, sum(prompt_tokens) AS tokens
    FROM scoped GROUP BY ALL
    UNION ALL
    SELECT 'output', output_bucket, sum(requests), sum(completion_tokens) FROM scoped GROUP BY ALL
)
SELECT kind, bucket, (2 ^ bucket)::BIGINT AS from_tokens, (2 ^ (bucket + 1))::BIGINT AS to_tokens,
    requests::BIGINT AS requests,
    requests / sum(requests) OVER (PARTITION BY kind) AS share,
    sum(requests) OVER (PARTITION BY kind ORDER BY bucket) / sum(requests) OVER (PARTITION BY kind) AS cumulative_share,
    tokens / requests AS mean_tokens
FROM buckets
ORDER BY kind, bucket
