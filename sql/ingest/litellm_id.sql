-- THE request id of a LiteLLM JSON line: litellm_payload.sql reads request_id with it and litellm_ids.sql
-- collects ids with it for the once-per-file lookup of stored requests, so both see the same id whatever
-- the line holds (numbers, nested values, repeated keys).  NULL for a line that is not valid JSON: TRY
-- costs one parse per line (json_valid first would be two) and re-runs row by row only the few vectors
-- that hold a broken line.
CREATE OR REPLACE TEMP MACRO _litellm_id(raw) AS TRY(json_extract_string(raw, '$.id'))
