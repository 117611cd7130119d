"""Issue 18 §9: what a tenant viewer sees is computed from its own tenants' rows only."""

from datetime import date

from tokenomics.access import Principal, Role
from tokenomics.queries import Filters, savings
from tokenomics.warehouse import connect


def test_cache_breakeven_reuse_is_the_viewers_own(demo):
    db = demo["db"]
    con = connect(db, read_only=True)
    tenant, first, last = con.execute(
        "SELECT tenant, min(day), max(day) FROM mart_cache_savings_daily WHERE mechanism = 'provider_prompt_cache'"
        " AND cache_write_tokens > 0 GROUP BY tenant ORDER BY sum(cache_write_tokens) LIMIT 1").fetchone()
    own = dict(((p, m), (r, w)) for p, m, r, w in con.execute(
        "SELECT provider, model, sum(cached_tokens), sum(cache_write_tokens) FROM mart_cache_savings_daily"
        " WHERE mechanism = 'provider_prompt_cache' AND tenant = ? AND day BETWEEN ? AND ? GROUP BY ALL",
        [tenant, first, last]).fetchall())
    con.close()
    f = Filters(start=first, end=last)
    viewer = savings(db, Principal("v@example.com", Role.TENANT_VIEWER, frozenset({tenant})), f)["breakeven"]
    admin = savings(db, Principal("a@example.com", Role.ADMIN), f)["breakeven"]
    seen = {(r["provider"], r["model"]): r["observed_reads_per_write"] for r in viewer.iter_rows(named=True)}
    everyone = {(r["provider"], r["model"]): r["observed_reads_per_write"] for r in admin.iter_rows(named=True)}
    assert seen and seen != everyone  # the viewer's figure is not the whole organisation's
    for key, value in seen.items():
        reads, writes = own.get(key, (None, None))
        expected = None if not writes else round(reads / writes, 3)
        assert (None if value is None else float(value)) == expected, key
