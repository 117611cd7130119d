-- LiteLLM StandardLoggingPayload JSON lines → canonical raw_requests rows.
-- Input: _lines(line_no, raw) from jsonl_lines.sql for one chunk of a file (line_no is the physical line
-- within the chunk; $line_offset is the lines in earlier chunks).  Output: rows in raw_requests and quarantine,
-- via requests_land.sql, which the loader runs next on _candidates.
-- Token quirk: usage_object.prompt_tokens INCLUDES cached_tokens (cache reads) and
-- cache_creation_input_tokens (cache writes); completion_tokens INCLUDES reasoning_tokens.
-- A value quoted in a reason: a short plain scalar as it is, anything else only by its length — a reason must
-- not become the way a prompt or an e-mail put in the wrong field reaches the quarantine.
CREATE OR REPLACE TEMP MACRO _shown(v) AS
    CASE WHEN v IS NULL THEN 'null'
         WHEN regexp_full_match(v, '[A-Za-z0-9_.:+ -]{1,40}') THEN v
         ELSE length(v) || ' characters, not shown' END;
CREATE OR REPLACE TEMP MACRO _int_err(field, v) AS
    CASE
        WHEN v IS NULL THEN NULL
        WHEN try_cast(v AS UBIGINT) IS NOT NULL AND NOT contains(v, '.') THEN
            CASE WHEN v::UBIGINT > 10000000 THEN field || ' is absurd (' || v || ')' END
        WHEN try_cast(v AS BIGINT) < 0 THEN field || ' is negative (' || _shown(v) || ')'
        ELSE field || ' is not an integer (' || _shown(v) || ')'
    END;
CREATE OR REPLACE TEMP MACRO _int(v) AS coalesce(try_cast(v AS BIGINT), 0);
-- Timestamps: epoch seconds (what StandardLoggingPayload carries), ISO with a zone, or ISO without one (the
-- GCS pub/sub payload writes datetimes naive): a naive time is read in $tz (--tz, default UTC).
CREATE OR REPLACE TEMP MACRO _ts(v, tz) AS
    CASE
        WHEN try_cast(v AS DOUBLE) IS NOT NULL THEN to_timestamp(v::DOUBLE)
        WHEN regexp_matches(v, '(Z|[+-][0-9]{2}:?[0-9]{2})$') THEN try_cast(v AS TIMESTAMPTZ)
        ELSE timezone(tz, try_cast(v AS TIMESTAMP))
    END;
CREATE OR REPLACE TEMP MACRO _ts_err(field, v) AS
    CASE
        WHEN v IS NULL THEN field || ' is missing'
        WHEN try_cast(v AS DOUBLE) IS NOT NULL THEN
            CASE WHEN v::DOUBLE NOT BETWEEN 946684800 AND 4102444800 THEN field || ' is out of range (' || _shown(v) || ')' END
        WHEN regexp_matches(v, '(Z|[+-][0-9]{2}:?[0-9]{2})$') AND try_cast(v AS TIMESTAMPTZ) IS NOT NULL THEN NULL
        WHEN try_cast(v AS TIMESTAMP) IS NULL THEN field || ' is not a timestamp (' || _shown(v) || ')'
    END;

-- The fields read from a line: messages/response (prompt and completion text) and everything else never are.
CREATE OR REPLACE TEMP MACRO _litellm_shape() AS '{
        "id": "VARCHAR", "startTime": "VARCHAR", "endTime": "VARCHAR", "completionStartTime": "VARCHAR",
        "metadata": {
            "spend_logs_metadata": {"tenant": "VARCHAR", "project": "VARCHAR", "region": "VARCHAR"},
            "user_api_key_org_id": "VARCHAR", "user_api_key_team_alias": "VARCHAR",
            "user_api_key_team_id": "VARCHAR", "user_api_key_user_id": "VARCHAR", "user_api_key_hash": "VARCHAR",
            "user_api_key_alias": "VARCHAR", "user_api_key_end_user_id": "VARCHAR",
            "usage_object": {
                "prompt_tokens": "VARCHAR", "completion_tokens": "VARCHAR",
                "cache_read_input_tokens": "VARCHAR", "cache_creation_input_tokens": "VARCHAR",
                "prompt_tokens_details": {"cached_tokens": "VARCHAR",
                    "cache_creation_token_details": {"ephemeral_1h_input_tokens": "VARCHAR"}},
                "completion_tokens_details": {"reasoning_tokens": "VARCHAR"}}},
        "end_user": "VARCHAR", "request_tags": "JSON", "custom_llm_provider": "VARCHAR", "api_base": "VARCHAR",
        "model_group": "VARCHAR", "model": "VARCHAR", "model_id": "VARCHAR", "call_type": "VARCHAR",
        "hidden_params": {"batch_models": "JSON"},
        "model_parameters": {"service_tier": "VARCHAR", "stream": "VARCHAR"}, "stream": "VARCHAR",
        "status": "VARCHAR", "cache_hit": "VARCHAR", "cache_key": "VARCHAR", "response_cost": "VARCHAR",
        "prompt_tokens": "VARCHAR", "completion_tokens": "VARCHAR"}';
-- What the quarantine keeps of a rejected line (the loader's _kept_raw, default the line itself): an allow-list,
-- never the line (ingest/redact.py holds the same rules for the sources parsed in Python).  Of a JSON object:
-- only the paths listed here — ids, times, model and provider, team and tenant labels, token counts, cost,
-- status — flat by path, each only when it is a number, a boolean or a string of at most 128 characters;
-- never messages/response, user, key (user_api_key_hash, api_key) or IP fields, nor any field not listed.
-- Of anything else (truncated, not JSON, not an object): a summary, never the text — its bytes, a salted
-- SHA-256 of the line, and the values of a few top-level keys read from its well-formed start ('{' then
-- "key": scalar pairs, up to the first nested value, escape or cut), each only when it is a short plain token.
SET VARIABLE tokenomics_quarantine_salt = $salt;
CREATE OR REPLACE TEMP MACRO _kept_raw(raw) AS
    CASE WHEN json_valid(raw) AND json_type(raw) = 'OBJECT' THEN  -- a null (dropped, not scalar) leaves no key
        json_merge_patch('{}', list_transform([list_transform(json_extract(raw, [
            '$.id', '$.call_type', '$.startTime', '$.endTime', '$.completionStartTime', '$.model', '$.model_group',
            '$.model_id', '$.custom_llm_provider', '$.status', '$.cache_hit', '$.stream', '$.response_cost',
            '$.prompt_tokens', '$.completion_tokens', '$.model_parameters.service_tier',
            '$.model_parameters.stream', '$.metadata.spend_logs_metadata.tenant',
            '$.metadata.spend_logs_metadata.project', '$.metadata.spend_logs_metadata.region',
            '$.metadata.user_api_key_org_id', '$.metadata.user_api_key_team_id',
            '$.metadata.user_api_key_team_alias', '$.metadata.usage_object.prompt_tokens',
            '$.metadata.usage_object.completion_tokens', '$.metadata.usage_object.cache_read_input_tokens',
            '$.metadata.usage_object.cache_creation_input_tokens',
            '$.metadata.usage_object.prompt_tokens_details.cached_tokens',
            '$.metadata.usage_object.prompt_tokens_details.cache_creation_token_details.ephemeral_1h_input_tokens',
            '$.metadata.usage_object.completion_tokens_details.reasoning_tokens']),
            x -> CASE WHEN json_type(x) IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'BOOLEAN')
                        OR (json_type(x) = 'VARCHAR' AND length(x ->> '$') <= 128) THEN x END)], v -> to_json({
            'id': v[1], 'call_type': v[2], 'startTime': v[3], 'endTime': v[4], 'completionStartTime': v[5],
            'model': v[6], 'model_group': v[7], 'model_id': v[8], 'custom_llm_provider': v[9], 'status': v[10],
            'cache_hit': v[11], 'stream': v[12], 'response_cost': v[13], 'prompt_tokens': v[14],
            'completion_tokens': v[15], 'model_parameters.service_tier': v[16], 'model_parameters.stream': v[17],
            'metadata.spend_logs_metadata.tenant': v[18], 'metadata.spend_logs_metadata.project': v[19],
            'metadata.spend_logs_metadata.region': v[20], 'metadata.user_api_key_org_id': v[21],
            'metadata.user_api_key_team_id': v[22], 'metadata.user_api_key_team_alias': v[23],
            'metadata.usage_object.prompt_tokens': v[24], 'metadata.usage_object.completion_tokens': v[25],
            'metadata.usage_object.cache_read_input_tokens': v[26],
            'metadata.usage_object.cache_creation_input_tokens': v[27],
            'metadata.usage_object.prompt_tokens_details.cached_tokens': v[28],
            'metadata.usage_object.prompt_tokens_details.cache_creation_token_details.ephemeral_1h_input_tokens': v[29],
            'metadata.usage_object.completion_tokens_details.reasoning_tokens': v[30]}))[1])::VARCHAR
    ELSE json_merge_patch(
        list_transform([regexp_extract(left(raw, 4096), '^[ \t]*\{([ \t\r\n]*"[^"\\]*"[ \t\r\n]*:[ \t\r\n]*("[^"\\]*"|-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?|true|false|null)[ \t\r\n]*[,}])*', 0)], h -> to_json(map_from_entries(list_filter([
                {'key': 'id', 'value': trim(regexp_extract(h, '[{,][ \t\r\n]*"id"[ \t\r\n]*:[ \t\r\n]*("[^"\\]*"|-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?)[ \t\r\n]*[,}]', 1), '"')},
                {'key': 'call_type', 'value': trim(regexp_extract(h, '[{,][ \t\r\n]*"call_type"[ \t\r\n]*:[ \t\r\n]*("[^"\\]*"|-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?)[ \t\r\n]*[,}]', 1), '"')},
                {'key': 'startTime', 'value': trim(regexp_extract(h, '[{,][ \t\r\n]*"startTime"[ \t\r\n]*:[ \t\r\n]*("[^"\\]*"|-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?)[ \t\r\n]*[,}]', 1), '"')},
                {'key': 'endTime', 'value': trim(regexp_extract(h, '[{,][ \t\r\n]*"endTime"[ \t\r\n]*:[ \t\r\n]*("[^"\\]*"|-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?)[ \t\r\n]*[,}]', 1), '"')},
                {'key': 'model', 'value': trim(regexp_extract(h, '[{,][ \t\r\n]*"model"[ \t\r\n]*:[ \t\r\n]*("[^"\\]*"|-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?)[ \t\r\n]*[,}]', 1), '"')},
                {'key': 'custom_llm_provider', 'value': trim(regexp_extract(h, '[{,][ \t\r\n]*"custom_llm_provider"[ \t\r\n]*:[ \t\r\n]*("[^"\\]*"|-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?)[ \t\r\n]*[,}]', 1), '"')},
                {'key': 'status', 'value': trim(regexp_extract(h, '[{,][ \t\r\n]*"status"[ \t\r\n]*:[ \t\r\n]*("[^"\\]*"|-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?)[ \t\r\n]*[,}]', 1), '"')}],
            e -> regexp_full_match(e.value, '[A-Za-z0-9_.:+/ -]{1,128}')))))[1],
        json_object('text', 'not kept', 'bytes', strlen(raw),
                    'sha256', left(sha256(coalesce(getvariable('tokenomics_quarantine_salt'), '') || raw), 32)))::VARCHAR
    END;

-- Only the fields in _litellm_shape() are read: messages/response (prompt and completion text) never are.
-- Lines are checked with json_valid() first (so nothing raises: TRY() would re-run whole vectors row by
-- row), then parsed once into a typed struct.  Scalars arrive as their JSON text (numbers keep their digits).
-- A view: _candidates reads it once, so nothing nested is materialised.  The id is the struct's "id", the
-- same json_transform to VARCHAR that _litellm_id (litellm_id.sql) gives the once-per-file lookup of
-- stored requests (tests/test_litellm_source.py checks both agree on numbers, nested values, repeated keys).
CREATE OR REPLACE TEMP VIEW _parsed AS
SELECT line_no,
    CASE WHEN NOT valid THEN 'not valid JSON'
         WHEN left(raw, 1) <> '{' AND left(ltrim(raw), 1) <> '{' THEN 'not a JSON object' END AS shape_error,
    v.id AS id, v
FROM (SELECT line_no, raw, json_valid(raw) AS valid, CASE WHEN json_valid(raw) THEN json_transform(raw, _litellm_shape()) END AS v
FROM _lines);

-- One pass: pick fields, check them, type them, hash the canonical content.  grain: one row per line.
CREATE OR REPLACE TEMP TABLE _candidates AS
WITH fields AS (
    SELECT
        line_no, shape_error,
        id AS request_id,
        v.startTime AS start_raw,
        v.endTime AS end_raw,
        v.completionStartTime AS first_token_raw,
        nullif(v.metadata.spend_logs_metadata.tenant, '') AS explicit_tenant,
        nullif(v.metadata.user_api_key_org_id, '') AS org_id,
        nullif(v.metadata.user_api_key_team_alias, '') AS team_alias,
        nullif(v.metadata.user_api_key_team_id, '') AS team_id,
        nullif(v.metadata.user_api_key_alias, '') AS key_alias,
        nullif(coalesce(nullif(v.end_user, ''), v.metadata.user_api_key_end_user_id), '') AS end_user,
        coalesce(nullif(v.metadata.user_api_key_team_alias, ''), nullif(v.metadata.user_api_key_team_id, '')) AS team,
        v.metadata.spend_logs_metadata.project AS project,
        nullif(coalesce(nullif(v.metadata.user_api_key_user_id, ''), v.end_user, v.metadata.user_api_key_end_user_id), '')
            AS user_id,
        v.metadata.user_api_key_hash AS api_key,
        coalesce(TRY(json_transform(v.request_tags, '["VARCHAR"]')), []) AS tags,
        -- provider: custom_llm_provider, else the model's 'provider/' prefix, else the vendor api_base's host names
        -- it (a payload built outside the proxy may lack the field), else 'unknown' (the resolver then matches
        -- only a model name one provider alone lists)
        coalesce(nullif(v.custom_llm_provider, ''), nullif(regexp_extract(v.model, '^([a-z0-9_-]+)/', 1), ''),
                 CASE WHEN regexp_matches(v.api_base, '^https?://api\.openai\.com') THEN 'openai'
                      WHEN regexp_matches(v.api_base, '^https?://api\.anthropic\.com') THEN 'anthropic'
                      WHEN regexp_matches(v.api_base, '^https?://[^/]*\.openai\.azure\.com') THEN 'azure'
                      WHEN regexp_matches(v.api_base, '^https?://bedrock-runtime\.') THEN 'bedrock'
                      WHEN regexp_matches(v.api_base, '^https?://generativelanguage\.googleapis\.com') THEN 'gemini'
                      WHEN regexp_matches(v.api_base, '^https?://[^/]*aiplatform\.googleapis\.com') THEN 'vertex_ai'
                 END, 'unknown') AS provider,
        coalesce(nullif(v.model_group, ''), v.model) AS requested_model,
        v.model AS model,
        nullif(v.model_id, '') AS deployment,
        v.metadata.spend_logs_metadata.region AS region,
        v.call_type AS call_type,
        TRY(json_transform(v.hidden_params.batch_models, '["VARCHAR"]')) AS batch_models,
        v.model_parameters.service_tier AS tier_raw,
        coalesce(v.stream, v.model_parameters.stream) AS stream_raw,
        v.status AS status,
        v.cache_hit AS cache_hit,
        v.cache_key AS cache_key,
        v.response_cost AS cost_raw,
        coalesce(v.metadata.usage_object.prompt_tokens, v.prompt_tokens) AS prompt_raw,
        coalesce(v.metadata.usage_object.completion_tokens, v.completion_tokens) AS completion_raw,
        coalesce(v.metadata.usage_object.prompt_tokens_details.cached_tokens,
                 v.metadata.usage_object.cache_read_input_tokens) AS cache_read_raw,
        v.metadata.usage_object.cache_creation_input_tokens AS cache_write_raw,
        v.metadata.usage_object.prompt_tokens_details.cache_creation_token_details.ephemeral_1h_input_tokens
            AS cache_write_1h_raw,
        v.metadata.usage_object.completion_tokens_details.reasoning_tokens AS reasoning_raw
    FROM _parsed
),
-- The tenant chain (ingest/attribution.py): explicit tenant, the tenant map's entry for the org, team alias,
-- team id, key alias, end user or a tag, the org/team identifier itself, else 'unattributed'.
maps AS (
    SELECT
        map_from_entries(coalesce(list({'key': value, 'value': tenant}) FILTER (WHERE kind = 'org_id'), [])) AS m_org,
        map_from_entries(coalesce(list({'key': value, 'value': tenant}) FILTER (WHERE kind = 'team_alias'), [])) AS m_alias,
        map_from_entries(coalesce(list({'key': value, 'value': tenant}) FILTER (WHERE kind = 'team_id'), [])) AS m_team,
        map_from_entries(coalesce(list({'key': value, 'value': tenant}) FILTER (WHERE kind = 'key_alias'), [])) AS m_key,
        map_from_entries(coalesce(list({'key': value, 'value': tenant}) FILTER (WHERE kind = 'end_user'), [])) AS m_user,
        map_from_entries(coalesce(list({'key': value, 'value': tenant}) FILTER (WHERE kind = 'tag'), [])) AS m_tag
    FROM _tenant_map
),
attributed AS (
    SELECT * EXCLUDE (rule), rule[1] AS tenant, rule[2] AS tenant_rule
    FROM (SELECT f.*, coalesce(
        CASE WHEN explicit_tenant IS NOT NULL THEN [explicit_tenant, 'explicit'] END,
        CASE WHEN m.m_org[org_id] IS NOT NULL THEN [m.m_org[org_id], 'map:org_id'] END,
        CASE WHEN m.m_alias[team_alias] IS NOT NULL THEN [m.m_alias[team_alias], 'map:team_alias'] END,
        CASE WHEN m.m_team[team_id] IS NOT NULL THEN [m.m_team[team_id], 'map:team_id'] END,
        CASE WHEN m.m_key[key_alias] IS NOT NULL THEN [m.m_key[key_alias], 'map:key_alias'] END,
        CASE WHEN m.m_user[end_user] IS NOT NULL THEN [m.m_user[end_user], 'map:end_user'] END,
        CASE WHEN cardinality(m.m_tag) > 0 AND len(list_filter(tags, t -> m.m_tag[t] IS NOT NULL)) > 0
             THEN [m.m_tag[list_filter(tags, t -> m.m_tag[t] IS NOT NULL)[1]], 'map:tag'] END,
        CASE WHEN org_id IS NOT NULL THEN [org_id, 'org_id'] END,
        CASE WHEN team_alias IS NOT NULL THEN [team_alias, 'team_alias'] END,
        CASE WHEN team_id IS NOT NULL THEN [team_id, 'team_id'] END,
        ['unattributed', 'unattributed']) AS rule
    FROM fields f CROSS JOIN maps m)
),
-- Each time read once: the checks, the typed row and the latency all use these (a time that fails its
-- check is never converted; a first-token time that cannot be converted is taken as absent).
timed AS (
    SELECT *, _ts_err('startTime', start_raw) AS start_err, _ts_err('endTime', end_raw) AS end_err
    FROM attributed
),
stamped AS (
    SELECT *,
        CASE WHEN start_err IS NULL THEN _ts(start_raw, $tz) END AS start_ts,
        CASE WHEN end_err IS NULL THEN _ts(end_raw, $tz) END AS end_ts,
        TRY(_ts(first_token_raw, $tz)) AS first_ts
    FROM timed
),
checked AS (
    SELECT *,
        CASE WHEN shape_error IS NOT NULL THEN [shape_error] ELSE list_filter([
            CASE WHEN coalesce(request_id, '') = '' THEN 'id is missing' END,
            start_err,
            -- the plausible window (tokenomics.config.plausible_window): one line dated 9999 poisoned builds
            CASE WHEN start_err IS NOT NULL OR end_err IS NOT NULL THEN NULL
                 WHEN start_ts < $earliest
                 THEN 'startTime ' || start_ts || ' is before ' || $earliest::DATE || ' (TOKENOMICS_EARLIEST)'
                 WHEN start_ts > $latest OR end_ts > $latest
                 THEN 'startTime or endTime is after now + TOKENOMICS_AHEAD_HOURS' END,
            end_err,
            CASE WHEN coalesce(model, '') = '' THEN 'model is missing' END,
            CASE WHEN coalesce(status, '') NOT IN ('success', 'failure') THEN 'status is not success/failure (' || _shown(status) || ')' END,
            CASE WHEN prompt_raw IS NULL THEN 'prompt_tokens is missing' END,
            _int_err('prompt_tokens', prompt_raw),
            _int_err('completion_tokens', completion_raw),
            _int_err('cached_tokens', cache_read_raw),
            _int_err('cache_creation_input_tokens', cache_write_raw),
            _int_err('ephemeral_1h_input_tokens', cache_write_1h_raw),
            _int_err('reasoning_tokens', reasoning_raw),
            CASE WHEN cost_raw IS NOT NULL AND try_cast(cost_raw AS DECIMAL(38, 12)) IS NULL THEN 'response_cost is not a number' END,
            CASE WHEN try_cast(cost_raw AS DECIMAL(38, 12)) < 0 THEN 'response_cost is negative' END
        ], x -> x IS NOT NULL) END AS reasons
    FROM stamped
),
-- Salted SHA-256 once per distinct identifier: a piece holds a few hundred users and keys, not 50k.
pseudonyms AS (
    SELECT clear, left(sha256($salt || clear), 32) AS hashed
    FROM (SELECT user_id AS clear FROM checked UNION SELECT api_key FROM checked)
    WHERE clear IS NOT NULL
),
typed AS (
    SELECT
        line_no, reasons, $source AS source, request_id,
        start_ts AS start_time,
        end_ts AS end_time,
        tenant, tenant_rule, team, project,
        u.hashed AS user_hash,
        k.hashed AS api_key_hash,
        tags, provider, requested_model,
        CASE WHEN starts_with(model, provider || '/') THEN model[length(provider) + 2:] ELSE model END AS resolved_model,
        deployment, region,
        CASE
            WHEN call_type IN ('batch', 'acreate_batch', 'aretrieve_batch', 'create_batch') OR len(batch_models) > 0 THEN 'batch'
            WHEN tier_raw IN ('flex', 'priority') THEN tier_raw
            ELSE 'standard'
        END AS service_tier,
        _int(prompt_raw) - _int(cache_read_raw) - _int(cache_write_raw) AS uncached_input_tokens,
        _int(cache_read_raw) AS cache_read_tokens,
        _int(cache_write_raw) - _int(cache_write_1h_raw) AS cache_write_5m_tokens,
        _int(cache_write_1h_raw) AS cache_write_1h_tokens,
        _int(completion_raw) - _int(reasoning_raw) AS output_tokens,
        _int(reasoning_raw) AS reasoning_tokens,
        status,
        -- streamed: the payload's `stream` (top level; older payloads: model_parameters), else — a SpendLogs row
        -- does not say — a first token before the end (LiteLLM sets completionStartTime = endTime otherwise)
        coalesce(stream_raw = 'true', first_ts < end_ts, false) AS is_stream,
        CASE WHEN coalesce(stream_raw = 'true', first_ts < end_ts) AND first_token_raw IS NOT NULL
             THEN greatest(0, round((epoch_us(first_ts) - epoch_us(start_ts)) / 1000.0))::INTEGER END AS ttft_ms,
        round((epoch_us(end_ts) - epoch_us(start_ts)) / 1000.0)::BIGINT AS latency_ms,
        CASE WHEN cache_hit = 'true' THEN CASE WHEN starts_with(coalesce(cache_key, ''), 'semantic') THEN 'semantic' ELSE 'exact' END
             ELSE 'miss' END AS gateway_cache,
        try_cast(cost_raw AS DECIMAL(38, 12)) AS reported_cost_usd
    FROM checked
    LEFT JOIN pseudonyms u ON u.clear = checked.user_id
    LEFT JOIN pseudonyms k ON k.clear = checked.api_key
    WHERE len(reasons) = 0
)
SELECT * REPLACE (
        list_filter([
            CASE WHEN uncached_input_tokens < 0 THEN 'cache tokens exceed prompt_tokens' END,
            CASE WHEN cache_write_5m_tokens < 0 THEN 'ephemeral_1h_input_tokens exceed cache_creation_input_tokens' END,
            CASE WHEN output_tokens < 0 THEN 'reasoning_tokens exceed completion_tokens' END,
            CASE WHEN end_time < start_time THEN 'endTime is before startTime' END,
            CASE WHEN latency_ms > 2147483647 THEN 'latency is absurd' END
        ], x -> x IS NOT NULL) AS reasons),
    _request_row_hash(request_id, start_time, end_time, tenant, team, project, user_hash, api_key_hash, tags,
        provider, requested_model, resolved_model, deployment, region, service_tier, uncached_input_tokens,
        cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, reasoning_tokens, status,
        is_stream, ttft_ms, latency_ms, gateway_cache, reported_cost_usd) AS row_hash
FROM typed
UNION ALL BY NAME
SELECT line_no, reasons FROM checked WHERE len(reasons) > 0;
