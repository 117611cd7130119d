"""The full LiteLLM price catalogue (the real model_prices_and_context_window.json, 4,878 keys) into a warehouse.

Run: .venv/bin/python bench/catalogue.py [--file PATH] [--repeat 3]

Prints, side by side (best of --repeat, each into a fresh warehouse file):
  ingest     `ingest_paths(litellm-prices, file)`: parse, resolve aliases and twins, expand every entry to its
             (tier × context) rows with exact decimals, compare with the stored cards, insert, quarantine;
  read_json  DuckDB's read_json of the same file into a table of the same warehouse kind (one row, 4,878
             struct fields: the floor of just reading it);
and their ratio.  Issue 17's goal: ingest < 3 s.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT = ROOT / "tests" / "fixtures" / "real" / "litellm" / "model_prices_and_context_window.json"


def _ingest(source: Path, work: Path) -> tuple[float, object]:
    from tokenomics.ingest.runner import ingest_paths
    from tokenomics.warehouse import open_warehouse

    path = work / "model_prices_2026-11-01.json"
    shutil.copy(source, path)
    con = open_warehouse(work / "wh.duckdb")
    started = time.perf_counter()
    [result] = ingest_paths(con, "litellm-prices", [path])
    elapsed = time.perf_counter() - started
    con.close()
    return elapsed, result.counts


def _read_json(source: Path, work: Path) -> float:
    import duckdb

    con = duckdb.connect(str(work / "floor.duckdb"))
    started = time.perf_counter()
    con.execute("CREATE TABLE catalogue AS SELECT * FROM read_json(?, maximum_object_size = 100000000)", [str(source)])
    elapsed = time.perf_counter() - started
    con.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEFAULT)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    ours, floor, counts = [], [], None
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as work:
            seconds, counts = _ingest(args.file, Path(work))
            ours.append(seconds)
        with tempfile.TemporaryDirectory() as work:
            floor.append(_read_json(args.file, Path(work)))
    best, base = min(ours), min(floor)
    print(f"catalogue  {args.file.name}  {args.file.stat().st_size / 1e6:.1f} MB")
    print(f"ingest     {best:6.2f} s   {counts}")
    print(f"read_json  {base:6.2f} s")
    print(f"ratio      {best / base:6.1f}x   (goal: ingest < 3 s: {'met' if best < 3 else 'NOT met'})")


if __name__ == "__main__":
    main()
