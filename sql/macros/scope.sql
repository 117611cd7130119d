-- scope.sql — filters and access.  Loaded by tokenomics.warehouse.connect on every connection (files in name
-- order) and hashed into the build fingerprint (tokenomics.incremental.fingerprint).

-- in_scope(allowed, value): a NULL list means "no restriction" — how every query applies filters and access
CREATE OR REPLACE TEMP MACRO in_scope(allowed, value) AS (allowed IS NULL OR list_contains(allowed, value));
