"""Every model's declared grain holds: the first comment of each staging, intermediate and mart SQL file says
`-- name — grain: one row per (a, b, c) …` (or `one row: …` for a single-row relation); those columns exist and
no two rows of the relation share them on the demo warehouse (built through the real generate → ingest → build
path)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.sqlgiven import real_columns
from tokenomics.warehouse import connect, model_files

LAYERS = ("staging", "intermediate", "marts")
MODELS = [path for layer in LAYERS for path in model_files(layer)]
IDENT = re.compile(r"[a-z_][a-z0-9_]*")

# A grain in several parts ("one row per (…) for X, and per (…) for Y") needs the rows of each part: the
# filter for each, in the comment's order.  The columns still come from the comment.
PART_FILTERS = {
    "mart_focus_daily": ("charge_source = 'api'", "charge_source = 'self_hosted'"),
}


def leading_comment(path: Path) -> str:
    lines = []
    for line in path.read_text().splitlines():
        if not line.startswith("--"):
            break
        lines.append(line[2:].strip())
    return " ".join(lines)


def declared_grain(path: Path) -> list[tuple[str, ...]]:
    """The grain's columns, one tuple per part; [()] for a relation of one row.  Raises ValueError when the
    comment does not say it in a form read here."""
    head = leading_comment(path)
    found = re.match(rf"{re.escape(path.stem)} — grain:\s*(.*)", head)
    if not found:
        raise ValueError(f"{path.name}: the first comment line should be `-- {path.stem} — grain: …`")
    text = found.group(1)
    if text.startswith("one row:"):
        return [()]
    # "one row per (a, b)", "one row per gateway request (source, request_id)", or "one row per column"
    first = (re.match(r"one row per\s+(?:[A-Za-z][A-Za-z ]*?\s)?\(([^()]*)\)", text)
             or re.match(r"one row per\s+([a-z_][a-z0-9_]*)\b", text))
    if not first:
        raise ValueError(f"{path.name}: grain {text[:80]!r} is not `one row per (…)` nor `one row: …`")
    parts = [first.group(1), *re.findall(r"\band per\s+\(([^()]*)\)", text)]
    grains = []
    for part in parts:
        columns = tuple(c.strip() for c in part.split(","))
        if bad := [c for c in columns if not IDENT.fullmatch(c)]:
            raise ValueError(f"{path.name}: grain names {bad}, not column names")
        grains.append(columns)
    return grains


def grain_checks(path: Path) -> list[tuple[tuple[str, ...], str]]:
    """(columns, row filter) for each part of the declared grain."""
    grains = declared_grain(path)
    filters = PART_FILTERS.get(path.stem, ("true",) if len(grains) == 1 else ())
    if len(filters) != len(grains):
        raise ValueError(f"{path.name}: a grain of {len(grains)} parts needs PART_FILTERS[{path.stem!r}] with "
                         f"one row filter per part (has {len(filters)})")
    return list(zip(grains, filters))


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_declared_grain_parses_to_real_columns(path):
    """No warehouse data needed: the grain's columns are columns of the relation as the real build makes it."""
    columns = {c for c, _ in real_columns()[path.stem]}
    for grain, _ in grain_checks(path):
        assert set(grain) <= columns, f"{path.stem}: grain columns {sorted(set(grain) - columns)} do not exist"


@pytest.fixture(scope="module")
def demo_con(demo, tmp_path_factory):
    """The demo warehouse, read-only, with the connection's macros (views such as int_request_costs use
    them).  A copy: other tests of the session may hold the original open in another mode."""
    folder = tmp_path_factory.mktemp("grain")
    for source in Path(demo["db"]).parent.glob(Path(demo["db"]).name + "*"):
        if source.is_file() and not source.name.endswith(".serving"):
            shutil.copy2(source, folder / source.name)
    con = connect(folder / Path(demo["db"]).name, read_only=True, snapshot=False)
    yield con
    con.close()


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_declared_grain_is_unique_on_the_demo_warehouse(path, demo_con):
    name = path.stem
    present = {r[0] for r in demo_con.execute("SELECT table_name FROM information_schema.tables "
                                              "WHERE table_schema = 'main'").fetchall()}
    assert name in present, f"{name} is not in the demo warehouse file: its grain cannot be checked"
    columns = {r[0] for r in demo_con.execute(f'DESCRIBE "{name}"').fetchall()}
    for grain, where in grain_checks(path):
        assert set(grain) <= columns, f"{name}: grain columns {sorted(set(grain) - columns)} missing"
        if not grain:  # one row
            rows = demo_con.execute(f'SELECT count(*) FROM "{name}" WHERE {where}').fetchone()[0]
            assert rows <= 1, f"{name} declares one row and has {rows}"
            continue
        keys = ", ".join(f'"{c}"' for c in grain)
        dupes = demo_con.execute(f'SELECT {keys}, count(*) AS n FROM "{name}" WHERE {where} GROUP BY ALL '
                                 "HAVING count(*) > 1 ORDER BY n DESC LIMIT 5").fetchall()
        total = demo_con.execute(f'SELECT count(*) FROM (SELECT {keys} FROM "{name}" WHERE {where} '
                                 "GROUP BY ALL HAVING count(*) > 1)").fetchone()[0]
        assert dupes == [], f"{name}: {total} keys of the declared grain ({', '.join(grain)}) where {where} " \
                            f"have several rows, e.g. {dupes}"


# Relations the demo leaves empty, where the uniqueness check above proves nothing; a relation newly empty
# (or newly filled) is reported here rather than passing silently.
EMPTY_ON_DEMO = {
    "mart_vendor_reconciliation_daily": "the demo ingests no vendor cost reports (tests/test_vendor_costs.py checks it)",
}


def test_relations_empty_on_the_demo_are_known(demo_con):
    empty = {p.stem for p in MODELS if demo_con.execute(f'SELECT count(*) FROM "{p.stem}"').fetchone()[0] == 0}
    assert empty == set(EMPTY_ON_DEMO)


@pytest.mark.parametrize("comment, grain", [
    ("-- m — grain: one row per (tenant, month).", [("tenant", "month")]),
    ("-- m — grain: one row per gateway request (source, request_id): the ledger.", [("source", "request_id")]),
    ("-- m — grain: one row per source: last run", [("source",)]),
    ("-- m — grain: one row: the tunables.", [()]),
    ("-- m — grain: one row per (day,\n-- tenant) for x, and per (day, deployment_id) for y", [("day", "tenant"),
                                                                                           ("day", "deployment_id")]),
])
def test_grain_phrasings(tmp_path, comment, grain):
    (tmp_path / "m.sql").write_text(comment + "\nSELECT 1;\n")
    assert declared_grain(tmp_path / "m.sql") == grain


@pytest.mark.parametrize("comment", ["-- m: a model", "-- m — grain: per tenant", "-- m — grain: one row per (charge day, x)"])
def test_unreadable_grains_are_errors(tmp_path, comment):
    (tmp_path / "m.sql").write_text(comment + "\nSELECT 1;\n")
    with pytest.raises(ValueError):
        declared_grain(tmp_path / "m.sql")
