-- Land canonical request candidates exactly once (shared by every SQL request source).
-- Input: _candidates(line_no, reasons, source, request_id, row_hash, <raw_requests columns>) — reasons empty
-- when valid; source is the row's own source (a lake row keeps the one it was first loaded from) — and
-- _known/_repeated from requests_known.sql, run once for the whole input before its first piece.
-- Output: rows in raw_requests, and _outcome with one row per line that is NOT loaded (quarantined or
-- duplicate) for the row accounting.  $line_offset: lines before this piece, for messages.
-- Exactly-once: the first line of a request id wins; identical repeats are duplicates, differing
-- repeats (in this file or against what is already loaded) are quarantined as conflicts.
-- grain of _outcome: one row per line that is NOT loaded (quarantined or duplicate).
CREATE OR REPLACE TEMP TABLE _outcome AS
WITH ok AS (
    SELECT line_no, source, request_id, row_hash FROM _candidates WHERE len(reasons) = 0
),
repeated AS (
    SELECT ok.*,
        row_number() OVER w AS nth,
        first_value(row_hash) OVER w AS first_hash,
        first_value(line_no) OVER w AS first_line
    FROM ok SEMI JOIN (SELECT source, request_id FROM ok GROUP BY ALL HAVING count(*) > 1) d USING (source, request_id)
    WINDOW w AS (PARTITION BY source, request_id ORDER BY line_no)
),
existing AS (
    SELECT ok.line_no, ok.request_id, ok.row_hash, e.row_hash AS loaded_hash
    FROM ok JOIN _known e ON e.source = ok.source AND e.request_id = ok.request_id
)
SELECT line_no, 'quarantined' AS outcome, array_to_string(reasons, '; ') AS reason
FROM _candidates WHERE len(reasons) > 0
UNION ALL
SELECT line_no,
    CASE WHEN row_hash = first_hash THEN 'duplicate' ELSE 'quarantined' END,
    CASE WHEN row_hash <> first_hash
         THEN 'request id ' || request_id || ' repeated with different content (first at line ' || (first_line + $line_offset) || ')' END
FROM repeated WHERE nth > 1
UNION ALL
SELECT line_no,
    CASE WHEN row_hash = loaded_hash THEN 'duplicate' ELSE 'quarantined' END,
    CASE WHEN row_hash <> loaded_hash THEN 'request id ' || request_id || ' already loaded with different content' END
FROM existing
WHERE line_no NOT IN (SELECT line_no FROM repeated WHERE nth > 1);

INSERT INTO raw_requests BY NAME
SELECT c.source, c.request_id, c.row_hash, c.start_time, c.end_time, c.tenant, c.tenant_rule, c.team, c.project,
    c.user_hash, c.api_key_hash, c.tags, c.provider, c.requested_model, c.resolved_model, c.deployment,
    c.region, c.service_tier, c.uncached_input_tokens, c.cache_read_tokens, c.cache_write_5m_tokens,
    c.cache_write_1h_tokens, c.output_tokens, c.reasoning_tokens, c.status, c.is_stream, c.ttft_ms,
    c.latency_ms::INTEGER AS latency_ms, c.gateway_cache, c.reported_cost_usd::DECIMAL(38, 12) AS reported_cost_usd,
    $run_id AS run_id
FROM _candidates c ANTI JOIN _outcome o ON o.line_no = c.line_no;

-- Model names as logged, for the resolver (int_model_resolution): a few hundred names, kept as rows land.
INSERT OR IGNORE INTO model_names
SELECT DISTINCT c.provider, c.resolved_model FROM _candidates c ANTI JOIN _outcome o ON o.line_no = c.line_no;

-- Rows just landed whose id comes again later in the input: later pieces meet them in _known.
INSERT INTO _known
SELECT c.source, c.request_id, c.row_hash
FROM _candidates c ANTI JOIN _outcome o ON o.line_no = c.line_no
SEMI JOIN _repeated r ON r.source = c.source AND r.request_id = c.request_id
