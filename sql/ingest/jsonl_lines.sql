-- The decodable lines of one piece of a JSON-lines file, as text.
-- Input: _chunk(line_no, raw) — every UTF-8 line of the piece, cut at '\n' only with its line ending kept
-- (ingest/jsonl.py builds it over the file's bytes without copying; undecodable lines are rejected there).
-- grain of _lines: one row per line that is not blank (spaces, tabs, CR); line_no is the physical line number within the piece.
-- A view: the source script reads it once.
CREATE OR REPLACE TEMP VIEW _lines AS
SELECT line_no, raw
FROM _chunk
WHERE CASE WHEN left(raw, 1) = '{' THEN true ELSE trim(raw, chr(32) || chr(9) || chr(13) || chr(10)) <> '' END;

-- What the quarantine keeps of a rejected line: the line itself, unless the source script (run after this
-- one) redefines it — LiteLLM's keeps only the fields it reads (litellm_payload.sql).
CREATE OR REPLACE TEMP MACRO _kept_raw(raw) AS raw;
