-- Read a JSON-lines file as raw text, one row per physical line, keeping undecodable lines.
-- grain of _lines: one row per non-blank line (line_no is the 1-based physical line number).
-- grain of _rejected: one row per line the reader could not decode (invalid UTF-8, oversize).
DROP TABLE IF EXISTS _read_errors;
DROP TABLE IF EXISTS _read_scans;
DROP VIEW IF EXISTS _lines;
CREATE OR REPLACE TEMP TABLE _read AS
SELECT row_number() OVER () AS ordinal, raw
FROM read_csv(
    $path,
    columns = {'raw': 'VARCHAR'},
    delim = $delim, quote = '', escape = '', header = false, auto_detect = false,
    new_line = '\n', max_line_size = 67108864, strict_mode = false,
    ignore_errors = true, store_rejects = true,
    rejects_table = '_read_errors', rejects_scan = '_read_scans'
);
CREATE OR REPLACE TEMP TABLE _rejected AS
SELECT line AS line_no, any_value(csv_line) AS raw, string_agg(DISTINCT error_type, ', ') AS reason
FROM _read_errors
GROUP BY line;
-- Physical line = ordinal + rejected lines before it.  _shift maps only the ordinals that move
-- (none when nothing was rejected); downstream steps use ordinals and map the few rows they report.
CREATE OR REPLACE TEMP TABLE _shift AS
WITH physical AS (
    SELECT l AS line_no, row_number() OVER (ORDER BY l) AS ordinal
    FROM range(1, (SELECT count(*) FROM _read) + (SELECT count(*) FROM _rejected) + 1) AS t(l)
    ANTI JOIN _rejected r ON r.line_no = t.l
    WHERE EXISTS (SELECT 1 FROM _rejected)
)
SELECT ordinal, line_no FROM physical WHERE line_no <> ordinal;
CREATE OR REPLACE TEMP MACRO _line_no(o) AS coalesce((SELECT s.line_no FROM _shift s WHERE s.ordinal = o), o);
CREATE OR REPLACE TEMP VIEW _lines AS
SELECT ordinal AS line_no, raw FROM _read
WHERE CASE WHEN left(raw, 1) = '{' THEN true ELSE trim(coalesce(raw, '')) <> '' END
