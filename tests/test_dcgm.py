"""DCGM exporter scrapes: Prometheus text → one GPU sample per (GPU, scrape), quirks quarantined."""

from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

from ingest.runner import ingest_paths

FIXTURE = Path(__file__).parent / "fixtures" / "dcgm_exporter.prom"
H100_0 = "GPU-604ac76c-d9cf-fef3-62e9-d92044ab6e52"
H100_1 = "GPU-8b2c1f0e-7a41-4d6e-9c3b-2f5e8a1d0c77"


def _rows(con):
    return {(r[0].astimezone(timezone.utc).strftime("%H:%M"), r[1]): r[2:] for r in con.execute(
        "SELECT ts, gpu_uuid, host, gpu_name, util_gpu_pct, util_mem_pct, mem_used_mib, mem_total_mib, power_w "
        "FROM raw_gpu_samples").fetchall()}


def test_scrapes_become_one_sample_per_gpu_and_scrape(warehouse, tmp_path):
    [result] = ingest_paths(warehouse, "dcgm", [FIXTURE])
    c = result.counts
    # 2 GPUs in the first scrape, 2 in the second = 4 samples; SM clock and HELP/TYPE lines are not samples
    assert (c.read, c.loaded, c.quarantined, c.duplicate) == (4, 4, 0, 0)
    rows = _rows(warehouse)
    # GPU 0 at 10:15: util 87 %, copy util 41 %, FB used 78,942 MiB + free 2,617 = total 81,559 MiB, 612.35 W
    assert rows[("10:15", H100_0)] == ("gpu-h100-01", "NVIDIA H100 80GB HBM3", 87, 41, 78942, 81559, Decimal("612.35"))
    # GPU 1 at 10:16 only reports the profiling ratio: 0.25 -> 25 %
    assert rows[("10:16", H100_1)][2] == 25
    # re-ingesting the same scrapes is idempotent (file manifest), and a copy adds only duplicates
    assert ingest_paths(warehouse, "dcgm", [FIXTURE])[0].status == "skipped_already_ingested"
    copy = tmp_path / "again.prom"
    copy.write_text(FIXTURE.read_text() + "\n# trailing comment\n")
    [again] = ingest_paths(warehouse, "dcgm", [copy])
    assert (again.counts.read, again.counts.loaded, again.counts.duplicate) == (4, 0, 4)


def test_hostile_lines_are_quarantined_with_reasons(warehouse, tmp_path):
    bad = tmp_path / "bad.prom"
    bad.write_text("\n".join([
        'DCGM_FI_DEV_GPU_UTIL{UUID="GPU-a",Hostname="n1"} 50',                      # no scrape time yet
        "# scrape 2026-11-03T10:15:00",                                             # marker without zone
        "# scrape 2026-11-03T10:15:00Z",
        'DCGM_FI_DEV_GPU_UTIL{UUID="GPU-a",Hostname="n1"} NaN',                     # GPU fell off the bus
        'DCGM_FI_DEV_GPU_UTIL{UUID="GPU-b",Hostname="n1"} 140',                     # impossible utilisation
        'DCGM_FI_DEV_POWER_USAGE{UUID="GPU-c",Hostname="n1"} 300',                  # no utilisation at all
        'DCGM_FI_DEV_GPU_UTIL{Hostname="n1"} 50',                                   # no UUID
        "this is not prometheus {",
        'DCGM_FI_DEV_GPU_UTIL{UUID="GPU-d",Hostname="n1"} 50 1793700960000',        # own timestamp (ms)
    ]))
    [result] = ingest_paths(warehouse, "dcgm", [bad])
    c = result.counts
    assert c.read == c.loaded + c.quarantined + c.duplicate
    assert (c.loaded, c.quarantined) == (1, 7)
    reasons = " | ".join(r for (r,) in warehouse.execute("SELECT reason FROM quarantine").fetchall())
    for expected in ("no scrape time", "has no time zone", "finite", "less than or equal to 100",
                     "neither DCGM_FI_DEV_GPU_UTIL", "no UUID label", "not a Prometheus sample line"):
        assert expected in reasons, expected
    ts = warehouse.execute("SELECT ts FROM raw_gpu_samples").fetchone()[0]
    assert ts.astimezone(timezone.utc) == datetime(2026, 11, 3, 10, 16, tzinfo=timezone.utc)


def test_at_option_times_marker_less_files(warehouse, tmp_path):
    f = tmp_path / "plain.prom"
    f.write_text('DCGM_FI_DEV_GPU_UTIL{UUID="GPU-a",Hostname="n1",modelName="NVIDIA H200"} 33\n')
    [result] = ingest_paths(warehouse, "dcgm", [f], {"at": "2026-11-03T12:00:00+00:00"})
    assert result.counts.loaded == 1
