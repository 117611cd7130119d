-- mart_model_resolution — grain: one row per (provider, model) as logged.  How the resolver
-- (int_model_resolution) priced each name, and for a name it could not match: the three closest catalogue
-- entries (Jaro-Winkler similarity of the names, the logged provider's family first) and the line to add
-- under `model_aliases:` in a contracts file to price it as the closest one (the Data health page shows it).
CREATE OR REPLACE TABLE mart_model_resolution AS
WITH cards AS (
    SELECT DISTINCT provider, model FROM stg_rate_cards
),
unmatched AS (
    SELECT provider, model,
        -- compared without what the resolver strips anyway: an ARN's path, a 'provider/' prefix
        lower(regexp_replace(regexp_replace(model, '^arn:[^/]*/', ''), '^[A-Za-z0-9_.-]+/', '')) AS bare
    FROM int_model_resolution WHERE rule = 'unmatched'
),
scored AS (
    SELECT u.provider, u.model, c.provider AS card_provider, c.model AS card_model,
        jaro_winkler_similarity(u.bare, lower(c.model))
            + CASE WHEN c.provider = u.provider OR starts_with(c.provider, u.provider || '_')
                        OR starts_with(c.provider, u.provider || '-') THEN 0.05 ELSE 0 END AS score
    FROM unmatched u CROSS JOIN cards c
),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY provider, model ORDER BY score DESC, card_provider, card_model) AS nth
    FROM scored
),
closest AS (
    SELECT provider, model,
        list(card_provider || '/' || card_model ORDER BY nth) AS candidates,
        max(CASE WHEN nth = 1 THEN '- {provider: ' || to_json(provider) || ', model: ' || to_json(model)
                 || ', card_provider: ' || to_json(card_provider) || ', card_model: ' || to_json(card_model) || '}' END)
            AS override_line
    FROM ranked WHERE nth <= 3
    GROUP BY ALL
)
SELECT r.provider, r.model, r.rule, r.card_provider, r.card_model, r.model_family, c.candidates, c.override_line
FROM int_model_resolution r
LEFT JOIN closest c USING (provider, model);
