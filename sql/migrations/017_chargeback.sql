-- Migration 017: chargeback that finance can sign.
--   allocation_policies  the official GPU cost allocation (driver + idle policy) in force from a month on,
--                        set by an admin in a contracts/settings file (`allocation_policies:`); revisable.
--   statements           one row per closed (period, version): the policy it used, its inputs' fingerprint,
--                        who closed it and when; status 'closed' or 'reopened' (a reopened version is kept).
--   statement_lines      the frozen lines of a statement version, cents fixed once (docs/cost_model.md §13).
--   audit_log            who closed, reopened or changed a policy, and when — append-only.
CREATE TABLE IF NOT EXISTS allocation_policies (
    month DATE NOT NULL PRIMARY KEY,
    driver VARCHAR NOT NULL,
    idle_policy VARCHAR NOT NULL,
    run_id VARCHAR
);
CREATE TABLE IF NOT EXISTS statements (
    period VARCHAR NOT NULL,
    version INTEGER NOT NULL,
    driver VARCHAR NOT NULL,
    idle_policy VARCHAR NOT NULL,
    policy_source VARCHAR NOT NULL,
    fingerprint VARCHAR NOT NULL,
    closed_at TIMESTAMPTZ NOT NULL,
    closed_by VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    effective_usd DECIMAL(18, 2) NOT NULL,
    note VARCHAR,
    PRIMARY KEY (period, version)
);
CREATE TABLE IF NOT EXISTS statement_lines (
    period VARCHAR NOT NULL,
    version INTEGER NOT NULL,
    tenant VARCHAR NOT NULL,
    section VARCHAR NOT NULL,
    provider VARCHAR NOT NULL,
    model VARCHAR NOT NULL,
    requests BIGINT NOT NULL,
    unpriced_requests BIGINT NOT NULL,
    input_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    list_usd DECIMAL(18, 2),
    discount_usd DECIMAL(18, 2),
    effective_usd DECIMAL(18, 2),
    exact_list_usd DECIMAL(38, 12),
    exact_effective_usd DECIMAL(38, 12),
    PRIMARY KEY (period, version, tenant, section, provider, model)
);
CREATE TABLE IF NOT EXISTS audit_log (
    logged_at TIMESTAMPTZ NOT NULL,
    actor VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    period VARCHAR,
    detail VARCHAR
);
