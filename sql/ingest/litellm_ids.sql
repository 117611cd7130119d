-- The request ids of one piece of LiteLLM JSON lines, for the once-per-file lookup of stored requests
-- (requests_known.sql).  Input: _lines from jsonl_lines.sql; _litellm_id from litellm_id.sql.
-- grain of the rows added to _input_ids: one per line that has an id.
INSERT INTO _input_ids
SELECT $source AS source, request_id FROM (SELECT _litellm_id(raw) AS request_id FROM _lines) WHERE request_id IS NOT NULL
