-- THE request id of a LiteLLM JSON line as the once-per-file lookup of stored requests sees it
-- (litellm_ids.sql collects ids with it): the "id" field of json_transform, as VARCHAR — what
-- litellm_payload.sql's one parse of the line (_litellm_shape) gives it, so both see the same id whatever
-- the line holds (numbers, nested values, repeated keys).  NULL for a line that is not valid JSON: TRY
-- re-runs row by row only the few vectors that hold a broken line.
CREATE OR REPLACE TEMP MACRO _litellm_id(raw) AS TRY(json_transform(raw, '{"id": "VARCHAR"}')).id
