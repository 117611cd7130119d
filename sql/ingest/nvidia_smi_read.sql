-- nvidia-smi --query-gpu=... --format=csv output, one piece of the file at a time → _gpu_read.
-- ingest/nvidia_smi cuts the file into physical lines itself (nvidia-smi never quotes a field, so it is not
-- read as CSV), quarantines the lines it cannot split (_gpu_rejects: over-long, not UTF-8, wrong field count,
-- a repeated header) and registers the rest as _gpu_piece: line_no, raw (the line), and the header's fields
-- mapped to canonical VARCHAR columns, trimmed ("utilization.gpu [%]" → util_gpu_raw = '100 %').
-- Timestamps are "YYYY/MM/DD HH:MM:SS.mmm" in the host's local zone ($tz).
-- "[N/A]", "[Not Supported]" (any bracketed nvidia-smi remark), "N/A" and "" mean unknown (NULL), not bad rows.
-- A number is the whole value: digits with an optional fraction, then optionally the field's unit
-- ('1e309', '12abc', 'inf', 'nan', '12 GiB' for MiB are not numbers).
-- grain of _gpu_read: one row per data line of the piece that has its header's field count.
CREATE OR REPLACE TEMP MACRO _unknown(v) AS v IS NULL OR v IN ('', 'N/A') OR (v LIKE '[%' AND v LIKE '%]');
CREATE OR REPLACE TEMP MACRO _num(v, unit) AS
    try_cast(regexp_extract(v, '^(-?[0-9]+(\.[0-9]+)?)(\s*' || unit || ')?$', 1) AS DOUBLE);
-- why a numeric field (v, parsed as x by _num) is bad (NULL: fine or unknown): not a number, or outside lo..hi
CREATE OR REPLACE TEMP MACRO _bad(field, v, x, unit, lo, hi) AS CASE
    WHEN x IS NULL AND NOT _unknown(v) THEN field || ' ''' || left(v, 40) || ''' is not a number'
        || CASE WHEN unit <> '' THEN ' of ' || unit ELSE '' END
    WHEN x < lo OR x > hi THEN field || ' ' || left(v, 40) || ' is outside ' || lo || '..' || hi
END;
CREATE OR REPLACE TEMP VIEW _gpu_read AS SELECT * FROM _gpu_piece;
