-- int_model_resolution — grain: one row per (provider, model) as logged (model_names: every name a request or
-- a vendor report used).  The one model-name resolver: the catalogue entry (card_provider, card_model) that
-- prices the name, and the rule that found it (rule 'unmatched' and NULL cards when none did).  The ledger,
-- the vendor reconciliation and the Data health page read it; docs/cost_model.md ("Model names") lists the rules.
-- First hit wins, in this order:
--   override         model_overrides (contracts `model_aliases:`) — Azure deployment names and the like
--   exact            the name itself
--   provider_prefix  'bedrock/us.anthropic.claude…' → 'us.anthropic.claude…' (a leading 'xxx/' segment)
--   arn              'arn:aws:bedrock:us-west-2:123:inference-profile/us.anthropic.claude…' → 'us.anthropic.claude…'
--   region_prefix    'us.anthropic.claude…' → 'anthropic.claude…' (us., eu., apac., global., jp., au., ca., us-gov.)
--   fine_tune        'ft:gpt-4o-mini-2024-07-18:org::id' → 'ft:gpt-4o-mini-2024-07-18', then 'gpt-4o-mini-2024-07-18'
--   dated_alias      'gpt-4o-2024-08-06' → 'gpt-4o' (a trailing -YYYY-MM-DD, -YYYYMMDD or @YYYYMMDD; last resort)
-- Each candidate is looked up under the logged provider first, then under its family — one name extended by
-- '_' or '-' (bedrock ↔ bedrock_converse, vertex_ai ↔ vertex_ai-anthropic_models, azure ↔ azure_ai), as
-- pricing/catalogue.same_family reads catalogue keys.  A provider the log did not name ('unknown') matches a
-- candidate only where one provider alone lists it (rule suffix '(any provider)').
-- model_family: the priced name without a date suffix — what the vendor reconciliation compares per model
-- (vendors report dated snapshots where gateways log aliases).
CREATE OR REPLACE VIEW int_model_resolution AS
WITH cards AS (
    SELECT DISTINCT provider, model FROM stg_rate_cards
),
bare AS (
    SELECT provider, model,
        nullif(regexp_extract(model, '^arn:aws[a-z-]*:bedrock:[^:]*:[^:]*:[a-z-]+/(.+)$', 1), '') AS arn_tail,
        CASE WHEN NOT starts_with(model, 'arn:') AND regexp_matches(model, '^[A-Za-z0-9_.-]+/.')
             THEN regexp_replace(model, '^[A-Za-z0-9_.-]+/', '') END AS unprefixed
    FROM model_names
),
named AS (
    SELECT *, coalesce(arn_tail, unprefixed, model) AS base FROM bare
),
stems AS (
    SELECT *,
        regexp_replace(base, '^(us|eu|apac|global|jp|au|ca|us-gov)\.', '') AS unregioned,
        nullif(regexp_extract(base, '^(ft:[^:]+)', 1), '') AS ft_stem,
        nullif(regexp_extract(base, '^ft:([^:]+)', 1), '') AS ft_base
    FROM named
),
candidates AS (
    SELECT provider, model, 1 AS step, model AS name, 'exact' AS rule FROM stems
    UNION ALL SELECT provider, model, 2, unprefixed, 'provider_prefix' FROM stems WHERE unprefixed IS NOT NULL
    UNION ALL SELECT provider, model, 3, arn_tail, 'arn' FROM stems WHERE arn_tail IS NOT NULL
    UNION ALL SELECT provider, model, 4, unregioned, 'region_prefix' FROM stems WHERE unregioned <> base
    UNION ALL SELECT provider, model, 5, ft_stem, 'fine_tune' FROM stems WHERE ft_stem IS NOT NULL
    UNION ALL SELECT provider, model, 6, ft_base, 'fine_tune' FROM stems WHERE ft_base IS NOT NULL
    UNION ALL SELECT provider, model, 7, regexp_replace(coalesce(ft_base, unregioned), '(-\d{4}-\d{2}-\d{2}|-\d{8}|@\d{8})$', ''),
        'dated_alias' FROM stems
        WHERE regexp_matches(coalesce(ft_base, unregioned), '(-\d{4}-\d{2}-\d{2}|-\d{8}|@\d{8})$')
),
joined AS (
    SELECT k.provider, k.model, k.step, c.provider AS card_provider, c.model AS card_model,
        k.rule || CASE WHEN k.provider = 'unknown' THEN ' (any provider)'
                       WHEN c.provider <> k.provider THEN ' (' || c.provider || ')' ELSE '' END AS rule,
        count(*) OVER (PARTITION BY k.provider, k.model, k.step) AS listed_by
    FROM candidates k
    JOIN cards c ON c.model = k.name
        AND (c.provider = k.provider OR starts_with(c.provider, k.provider || '_') OR starts_with(c.provider, k.provider || '-')
             OR starts_with(k.provider, c.provider || '_') OR starts_with(k.provider, c.provider || '-')
             OR k.provider = 'unknown')
),
matched AS (
    SELECT *, row_number() OVER (PARTITION BY provider, model
                                 ORDER BY step, card_provider <> provider, card_provider) AS nth
    FROM joined
    WHERE provider <> 'unknown' OR listed_by = 1
),
resolved AS (
    SELECT n.provider, n.model,
        coalesce(o.card_provider, m.card_provider) AS card_provider,
        coalesce(o.card_model, m.card_model) AS card_model,
        CASE WHEN o.card_model IS NOT NULL THEN 'override' ELSE coalesce(m.rule, 'unmatched') END AS rule
    FROM model_names n
    LEFT JOIN model_overrides o ON o.provider = n.provider AND o.model = n.model
    LEFT JOIN matched m ON m.provider = n.provider AND m.model = n.model AND m.nth = 1
)
SELECT provider, model, card_provider, card_model, rule,
    regexp_replace(coalesce(card_model, model), '(-\d{4}-\d{2}-\d{2}|-\d{8}|@\d{8})$', '') AS model_family
FROM resolved;
