-- THE request id of a LiteLLM JSON line: litellm_payload.sql reads request_id with it and litellm_ids.sql
-- collects ids with it for the once-per-file lookup of stored requests, so both see the same id whatever
-- the line holds (numbers, nested values, repeated keys).  NULL for a line that is not valid JSON.
CREATE OR REPLACE TEMP MACRO _litellm_id(raw) AS CASE WHEN json_valid(raw) THEN json_extract_string(raw, '$.id') END
