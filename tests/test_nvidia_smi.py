"""nvidia-smi CSV as the tool writes it (real H100 capture from shared/fixtures)."""

from decimal import Decimal

from tokenomics.ingest.runner import ingest_paths
from pathlib import Path

# Real capture from shared/fixtures (one H100 under Llama-shaped load), copied so tests are self-contained.
FIXTURE = Path(__file__).parent / "fixtures" / "nvidia-smi_h100_llm-load.csv"


def test_real_capture_parses_units_and_timestamps(warehouse):
    [r] = ingest_paths(warehouse, "nvidia-smi", [FIXTURE], {"host": "h100-lab"})
    assert (r.counts.read, r.counts.loaded, r.counts.quarantined) == (129, 129, 0)
    lo, hi, pmin, pmax, first = warehouse.execute(
        "SELECT min(util_gpu_pct), max(util_gpu_pct), min(power_w), max(power_w), min(ts) FROM raw_gpu_samples"
    ).fetchone()
    assert (lo, hi) == (0, 100)
    assert pmin == Decimal("73.05") and pmax > Decimal("700")
    assert first.isoformat().startswith("2026-11-22T18:18:47.084")


def test_bad_rows_are_quarantined(warehouse, tmp_path):
    lines = FIXTURE.read_text().splitlines()
    bad = lines[1].replace("2026/11/22", "22-11-2026"), lines[2].replace(", 29 %,", ", lots %,")
    path = tmp_path / "host-a.csv"
    path.write_text("\n".join([lines[0], *bad, lines[3], lines[3]]) + "\n")
    [r] = ingest_paths(warehouse, "nvidia-smi", [path])
    assert (r.counts.read, r.counts.loaded, r.counts.quarantined, r.counts.duplicate) == (4, 1, 2, 1)
    reasons = {x for (x,) in warehouse.execute("SELECT reason FROM quarantine").fetchall()}
    assert any("timestamp" in x for x in reasons) and any("utilization.gpu" in x for x in reasons)


# --- genuine exporter captures (tests/fixtures/real/README.md): 212 query fields, units on every value -------
REAL = Path(__file__).parent / "fixtures" / "real" / "nvidia_smi"


def test_genuine_212_field_captures_load_and_mig_utilisation_is_unknown(warehouse, tmp_path):
    rows = {}
    for name in ("query_gpu_h100_80gb_hbm3_load_590.48.01.csv", "query_gpu_h100_mig_load_590.48.01.csv"):
        [r] = ingest_paths(warehouse, "nvidia-smi", [REAL / name], {"host": name[:20]})
        assert r.status == "loaded" and r.counts.reconciles() and (r.counts.read, r.counts.loaded) == (1, 1), (name, r)
        rows[name] = warehouse.execute("SELECT gpu_name, util_gpu_pct, mem_used_mib, power_w FROM raw_gpu_samples"
                                       " WHERE host = ?", [name[:20]]).fetchone()
    full, mig = rows.values()
    assert full[0].startswith("NVIDIA H100") and full[1] == 100      # "100 %"
    assert mig[0].startswith("NVIDIA H100") and mig[1] is None        # "[N/A]" with MIG on: unknown, kept
    assert full[2] > 0 and full[3] > 0 and mig[3] > 0                 # "11125 MiB", "433.78 W": units stripped


def test_nounits_format_and_accounting_against_the_file(warehouse, tmp_path):
    """`--format=csv,nounits`: bare numbers load the same; read counts the file's non-blank lines after the
    header (tests/hostile/test_nvidia_smi_hostile.py replays the hostile cases)."""
    data = FIXTURE.read_bytes()
    for unit in (b" %", b" MiB", b" W", b" MHz", b" [%]", b" [MiB]", b" [W]", b" [MHz]"):
        data = data.replace(unit, b"")
    path = tmp_path / "nounits.csv"
    path.write_bytes(data)
    [r] = ingest_paths(warehouse, "nvidia-smi", [path])
    lines = [line for line in data.split(b"\n")[:data.count(b"\n")] if line.strip()]
    assert (r.counts.read, r.counts.loaded) == (len(lines) - 1, 129) and r.counts.reconciles()
    assert warehouse.execute("SELECT min(power_w), max(util_gpu_pct) FROM raw_gpu_samples").fetchone() == (
        Decimal("73.05"), 100)
