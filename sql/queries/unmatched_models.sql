-- unmatched_models — grain: one row per (provider, model) as logged that no catalogue entry prices: its
-- unpriced requests (whole history), the closest catalogue entries and the contracts line that would price it.
SELECT u.provider, u.model, sum(u.requests)::BIGINT AS requests, max(u.last_seen) AS last_seen,
    any_value(m.candidates) AS closest_entries, any_value(m.override_line) AS add_to_model_aliases
FROM mart_unpriced u
JOIN mart_model_resolution m ON m.provider = u.provider AND m.model = u.model AND m.rule = 'unmatched'
GROUP BY ALL
ORDER BY requests DESC, u.provider, u.model
LIMIT 50
