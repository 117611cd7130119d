-- Migration 019: each table the models read that is not reference data says so, in its comment, so the build
-- engine finds the reference tables from the model graph (tables the models read, minus these) instead of a
-- hand-kept list.  A change to reference data re-prices history (a full build); these change every ingest and
-- are handled incrementally (facts, by run) or belong to the engine itself.
COMMENT ON TABLE raw_requests IS 'fact: append-only gateway requests, built incrementally by ingest run';
COMMENT ON TABLE raw_gpu_samples IS 'fact: append-only telemetry readings, built incrementally by ingest run';
COMMENT ON TABLE model_names IS 'fact: the (provider, model) names ingests logged; the resolver is rebuilt whole';
COMMENT ON TABLE ingest_runs IS 'bookkeeping: one row per ingested file';
COMMENT ON TABLE build_window IS 'engine: the window the build fills in zero days within';
