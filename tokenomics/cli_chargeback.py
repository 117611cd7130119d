"""`tokenomics close | reopen | statements | audit | policy`: month close for finance from the command line."""

from __future__ import annotations

import json
import sys

from tokenomics.config import db_path


def _fail(exc: Exception) -> int:
    print(f"error: {exc}", file=sys.stderr)
    return 2


def _publish(con) -> None:
    """Closed statements are read by the dashboard from its snapshot: republish it so pages show them now."""
    from tokenomics.warehouse import publish

    publish(con, {})


def cmd_close(args) -> int:
    from tokenomics import audit, chargeback
    from tokenomics.warehouse import open_warehouse

    con = open_warehouse(db_path(args.db))
    try:
        result = chargeback.close(con, args.period, audit.actor(args.actor), args.note)
        if result["action"] == "closed":
            _publish(con)
    except chargeback.ChargebackError as exc:
        return _fail(exc)
    finally:
        con.close()
    if args.json:
        print(json.dumps(result, indent=1, default=str))
        return 0
    if result["action"] == "unchanged":
        print(f"{args.period} is already closed as v{result['version']} and nothing changed "
              f"(total ${result['effective_usd']})")
        return 0
    print(f"closed {args.period} as v{result['version']} under {result['policy']}: total ${result['effective_usd']}")
    if result.get("warning"):
        print(f"warning: {result['warning']}", file=sys.stderr)
    for row in result.get("diff") or []:
        print(f"  {row['tenant']:<24} {row['old_usd']:>12} → {row['new_usd']:>12} ({row['change_usd']:+}) {row['why']}")
    return 0


def cmd_reopen(args) -> int:
    from tokenomics import audit, chargeback
    from tokenomics.warehouse import open_warehouse

    con = open_warehouse(db_path(args.db))
    try:
        result = chargeback.reopen(con, args.period, audit.actor(args.actor), args.reason)
        _publish(con)
    except chargeback.ChargebackError as exc:
        return _fail(exc)
    finally:
        con.close()
    print(f"reopened {args.period} (v{result['version']} kept for the record); close it again to issue "
          f"v{result['version'] + 1}")
    return 0


def cmd_statements(args) -> int:
    from tokenomics import chargeback, statements
    from tokenomics.exports import ExportError

    try:
        manifest = statements.write(db_path(args.db), args.period, args.dest, args.tenant or None, args.version)
    except (chargeback.ChargebackError, ExportError) as exc:
        return _fail(exc)
    print(f"wrote {len(manifest['files'])} files for {manifest['period']} ({manifest['tag']}, "
          f"{manifest['status']}) to {manifest['location']}: total ${manifest['total_usd']}")
    if manifest["status"] != "closed":
        print(f"warning: {args.period} is not closed: these statements are provisional "
              f"(`tokenomics close --period {args.period}` freezes them)", file=sys.stderr)
    return 0


def cmd_audit(args) -> int:
    from tokenomics import chargeback
    from tokenomics.warehouse import connect

    con = connect(db_path(args.db), read_only=True)
    try:
        log = chargeback.audit_log(con, args.period)
    finally:
        con.close()
    for row in log.iter_rows(named=True):
        print(f"{row['at']:%Y-%m-%d %H:%M:%S}Z  {row['actor']:<16} {row['action']:<15} {row['period'] or '':<8} "
              f"{row['detail'] or ''}")
    return 0


def cmd_policy(args) -> int:
    from tokenomics import chargeback
    from tokenomics.warehouse import connect

    con = connect(db_path(args.db), read_only=True)
    try:
        st = chargeback.statement(con, args.period)
    except chargeback.ChargebackError as exc:
        return _fail(exc)
    finally:
        con.close()
    print(f"{st.label}\n{st.policy.label()}")
    for v in st.versions:
        print(f"  v{v['version']}: {v['status']}, {v['driver']}/{v['idle_policy']}, ${v['effective_usd']}, "
              f"closed {v['closed_at']:%Y-%m-%d %H:%M} by {v['closed_by']}")
    return 0


def add_parsers(sub) -> None:
    c = sub.add_parser("close", help="close a month: freeze every tenant's statement as a version (v1, or the next "
                       "after a reopen) under the official allocation policy")
    c.add_argument("--period", required=True, help="YYYY-MM (a month that has ended)")
    c.add_argument("--actor", help="who closes it, for the audit log (default $TOKENOMICS_USER or the OS user)")
    c.add_argument("--note", help="a note kept with the version")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_close)

    r = sub.add_parser("reopen", help="reopen a closed month so late data or re-pricing is restated as a new version")
    r.add_argument("--period", required=True, help="YYYY-MM")
    r.add_argument("--reason", required=True, help="why (kept in the audit log)")
    r.add_argument("--actor", help="who reopens it (default $TOKENOMICS_USER or the OS user)")
    r.set_defaults(func=cmd_reopen)

    s = sub.add_parser("statements", help="write each tenant's statement (CSV and PDF) for a month, with a manifest")
    s.add_argument("--period", required=True, help="YYYY-MM")
    s.add_argument("--dest", required=True, help="a folder, or s3://bucket/prefix")
    s.add_argument("--tenant", action="append", help="only these tenants (repeatable; default all)")
    s.add_argument("--version", type=int, help="a closed version (default: the latest, else provisional figures)")
    s.set_defaults(func=cmd_statements)

    a = sub.add_parser("audit", help="who closed, reopened or changed the allocation policy, and when")
    a.add_argument("--period", help="YYYY-MM (default: all)")
    a.set_defaults(func=cmd_audit)

    p = sub.add_parser("policy", help="the allocation policy and statement versions of a month")
    p.add_argument("--period", required=True, help="YYYY-MM")
    p.set_defaults(func=cmd_policy)
