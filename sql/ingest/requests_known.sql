-- Stored requests that one input's rows can collide with, looked up ONCE per input rather than once per
-- piece: a per-piece join against raw_requests scans every stored id, which at 100M rows cost seconds for
-- each 64 MiB piece.  Input: _input_ids(source, request_id) — every request id of the input (the part not
-- yet committed, when resuming), duplicates included.
-- grain of _known: one stored (source, request_id) that the input also holds, with its content hash;
-- requests_land.sql adds the input's own rows whose id comes again later in the input.
-- grain of _repeated: one (source, request_id) that the input holds more than once.
CREATE OR REPLACE TEMP TABLE _known AS
SELECT e.source, e.request_id, e.row_hash
FROM raw_requests e SEMI JOIN _input_ids i ON i.source = e.source AND i.request_id = e.request_id;

CREATE OR REPLACE TEMP TABLE _repeated AS
SELECT source, request_id FROM _input_ids WHERE request_id IS NOT NULL GROUP BY ALL HAVING count(*) > 1;

DROP TABLE _input_ids
