-- The request ids of one piece of canonical request Parquet, for the once-per-file lookup of stored
-- requests (requests_known.sql): the same source and request_id expressions as requests_parquet.sql.
-- Input: _parquet_ids(src_source, request_id).  grain of the rows added to _input_ids: one per Parquet row.
INSERT INTO _input_ids
SELECT coalesce(nullif(src_source, ''), $source) AS source, TRY_CAST(request_id AS VARCHAR) AS request_id
FROM _parquet_ids
