"""DCGM exporter scrapes: Prometheus text → one sample per device (GPU or MIG instance) and scrape."""

from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from tokenomics.ingest.runner import ingest_paths
from tests.sqlgiven import run_model

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


# --- genuine dcgm-exporter scrapes (tests/fixtures/real/README.md): label rename and MIG -------------

REAL = Path(__file__).parent / "fixtures" / "real" / "dcgm"
T4 = REAL / "dcgm_Hostname_tesla_t4_datadog_fixture_head.prom"
SERVER_TEST = REAL / "dcgm_exporter_server_test_expected_hostname_lowercase.prom"
MIXED_MIG = REAL / "dcgm_hostname_lowercase_mixed_mig_pr736_excerpt.prom"
A100_MIG = REAL / "dcgm_mig_a100_7g79gb_Hostname_issue713_excerpt.prom"
H100_MIG = REAL / "dcgm_mig_h100_Hostname_issue512_excerpt.prom"
H100_MIG_UUID = "GPU-58e8f5ea-13cc-013a-d88f-2bcf5ae8bc77"
AT = {"at": "2026-06-01T09:00:00+00:00"}  # the exporter does not timestamp samples; these files have no marker

# (read, loaded, quarantined, duplicate) of each genuine file on a first ingest, and why
REAL_COUNTS = {
    T4.name: (1, 1, 0, 0),           # one T4, one scrape: GPU_UTIL, FB, power among 16 families
    SERVER_TEST.name: (0, 0, 0, 0),  # TEST_METRIC only: valid input we do not use, so no reading at all
    MIXED_MIG.name: (2, 0, 2, 0),    # RTX 2000 Ada and an A30 1g.6gb instance: decoder/encoder/FB, no utilisation
    A100_MIG.name: (0, 0, 0, 0),     # SM clock only
    H100_MIG.name: (3, 3, 0, 0),     # three 1g.10gb instances of one H100: GR_ENGINE_ACTIVE each
}


def _device_rows(con):
    return con.execute(
        "SELECT host, gpu_uuid, gpu_name, util_gpu_pct, parent_gpu_uuid, mig_instance_id, mig_profile, mig_slices,"
        " gpu_slices FROM raw_gpu_samples ORDER BY gpu_uuid").fetchall()


def _with_metric(path: Path, old: str, new: str, value: str | None = None) -> str:
    """The genuine file with one metric family renamed (labels untouched), e.g. to give it a utilisation."""
    lines = []
    for line in path.read_text().splitlines():
        if line.startswith(old + "{") and value is not None:
            line = line[:line.rindex("} ") + 2] + value
        lines.append(line.replace(old, new))
    return "\n".join(lines) + "\n"


def test_each_genuine_scrape_is_accounted_for(warehouse, tmp_path):
    for path in sorted(REAL.glob("*.prom")):
        [result] = ingest_paths(warehouse, "dcgm", [path], AT)
        c = result.counts
        assert result.status == "loaded", (path.name, result.message)
        assert c.read == c.loaded + c.quarantined + c.duplicate, path.name
        assert (c.read, c.loaded, c.quarantined, c.duplicate) == REAL_COUNTS[path.name], path.name
        # the same scrapes again under another name: what loaded is now a duplicate, the rest quarantined again
        copy = tmp_path / f"again-{path.name}"
        copy.write_text(path.read_text() + "\n# again\n")
        [again] = ingest_paths(warehouse, "dcgm", [copy], AT)
        read, loaded, quarantined, _ = REAL_COUNTS[path.name]
        assert (again.counts.read, again.counts.loaded, again.counts.quarantined, again.counts.duplicate) == (
            read, 0, quarantined, loaded), path.name
    reasons = {r for (r,) in warehouse.execute("SELECT reason FROM quarantine").fetchall()}
    assert reasons == {"ValueError: neither DCGM_FI_DEV_GPU_UTIL nor DCGM_FI_PROF_GR_ENGINE_ACTIVE for this GPU"}


def test_uppercase_hostname_label_gives_the_host(warehouse):
    ingest_paths(warehouse, "dcgm", [T4], AT)
    # older exporter: Hostname="424773df46e0" (a container id); FB used 0 + free 15,109 MiB; 8.969 W -> 8.97
    row = warehouse.execute("SELECT host, gpu_uuid, gpu_name, util_gpu_pct, util_mem_pct, mem_used_mib,"
                            " mem_total_mib, power_w, parent_gpu_uuid, mig_profile FROM raw_gpu_samples").fetchone()
    uuid = "GPU-20c56d28-0da5-6d26-a36a-e7af1ce2586e"
    assert row == ("424773df46e0", uuid, "Tesla T4", 0, 0, 0, 15109, Decimal("8.97"), uuid, None)


def test_lowercase_hostname_label_gives_the_host(warehouse, tmp_path):
    # The exporter's own expected /metrics after the rename (hostname="testhost"), its test metric read as a
    # utilisation, and the post-rename mixed scrape with its decoder-utilisation family read as GPU utilisation.
    server = tmp_path / "server.prom"
    server.write_text(_with_metric(SERVER_TEST, "TEST_METRIC", "DCGM_FI_DEV_GPU_UTIL"))
    mixed = tmp_path / "mixed.prom"
    mixed.write_text(_with_metric(MIXED_MIG, "DCGM_FI_DEV_DEC_UTIL", "DCGM_FI_DEV_GPU_UTIL"))
    [a] = ingest_paths(warehouse, "dcgm", [server], AT)
    [b] = ingest_paths(warehouse, "dcgm", [mixed], AT)
    assert (a.counts.read, a.counts.loaded) == (1, 1)
    # RTX 2000 Ada: util 46, FB free 11,275; the A30 instance still has no utilisation -> quarantined
    assert (b.counts.read, b.counts.loaded, b.counts.quarantined) == (2, 1, 1)
    got = {r[1]: r for r in _device_rows(warehouse)}
    assert got["GPU-00000000-0000-0000-0000-000000000000"][:4] == (
        "testhost", "GPU-00000000-0000-0000-0000-000000000000", "NVIDIA T400 4GB", 42)
    ada = "GPU-fc60126e-514d-3522-2828-c5daa8e99d85"
    assert got[ada] == ("dcgm-exporter-wwwjh", ada, "NVIDIA RTX 2000 Ada Generation", 46, ada, None, None, None, None)


def test_host_label_precedence(warehouse, tmp_path):
    f = tmp_path / "hosts.prom"
    f.write_text("\n".join([
        'DCGM_FI_DEV_GPU_UTIL{UUID="GPU-a",hostname="new",Hostname="old",instance="10.0.0.1:9400"} 10',
        'DCGM_FI_DEV_GPU_UTIL{UUID="GPU-b",Hostname="old",instance="10.0.0.1:9400"} 20',
        'DCGM_FI_DEV_GPU_UTIL{UUID="GPU-c",instance="10.0.0.1:9400"} 30',
        'DCGM_FI_DEV_GPU_UTIL{UUID="GPU-d"} 40',
    ]) + "\n")
    ingest_paths(warehouse, "dcgm", [f], AT)
    hosts = dict(warehouse.execute("SELECT gpu_uuid, host FROM raw_gpu_samples").fetchall())
    assert hosts == {"GPU-a": "new", "GPU-b": "old", "GPU-c": "10.0.0.1:9400", "GPU-d": "unknown"}


def test_mig_instances_of_one_gpu_stay_separate_devices(warehouse):
    [result] = ingest_paths(warehouse, "dcgm", [H100_MIG], AT)
    assert (result.counts.read, result.counts.loaded) == (3, 3)
    # GPU_I_ID 7, 8, 9 of one H100 (same UUID, gpu="0"): three devices, each 1g.10gb = 1 of 7 compute slices
    assert _device_rows(warehouse) == [
        ("gsrh100-074", f"{H100_MIG_UUID}/GI{i}", "NVIDIA H100 80GB HBM3", 0, H100_MIG_UUID, i, "1g.10gb", 1, 7)
        for i in (7, 8, 9)]
    run_model(warehouse, "staging/stg_gpu_samples.sql")
    fractions = warehouse.execute(
        "SELECT parent_gpu_uuid, count(*), sum(slice_fraction), sum(mig_slices), max(gpu_slices)"
        " FROM stg_gpu_samples GROUP BY ALL").fetchall()
    assert [(p, n, round(f, 9), g, s) for p, n, f, g, s in fractions] == [(H100_MIG_UUID, 3, round(3 / 7, 9), 3, 7)]


def test_mig_slices_by_gpu_model_and_profile(warehouse, tmp_path):
    """Genuine MIG labels (A100 7g.79gb, A30 1g.6gb), the metric family renamed to a utilisation ratio."""
    a100 = tmp_path / "a100.prom"
    a100.write_text(_with_metric(A100_MIG, "DCGM_FI_DEV_SM_CLOCK", "DCGM_FI_PROF_GR_ENGINE_ACTIVE", "0.5"))
    a30 = tmp_path / "a30.prom"
    a30.write_text(_with_metric(MIXED_MIG, "DCGM_FI_DEV_FB_FREE", "DCGM_FI_PROF_GR_ENGINE_ACTIVE", "0.25"))
    ingest_paths(warehouse, "dcgm", [a100, a30], AT)
    got = {r[1]: r for r in _device_rows(warehouse)}
    a100_uuid = "GPU-06357e72-c3ee-614b-775f-a89e18e8cc08"
    a30_uuid = "GPU-63bc0b91-2265-1b94-831c-15c41fe92675"
    # A100: 7g.79gb (the exporter's name for all-7g.80gb) = all 7 of 7 slices; GPU_I_ID "0" is an instance too
    assert got[f"{a100_uuid}/GI0"] == ("metal-gpu-08", f"{a100_uuid}/GI0", "NVIDIA A100 80GB PCIe", 50, a100_uuid, 0,
                                       "7g.79gb", 7, 7)
    # A30: 1g.6gb = 1 of 4 slices, host from the lowercase label
    assert got[f"{a30_uuid}/GI3"] == ("dcgm-exporter-wwwjh", f"{a30_uuid}/GI3", "NVIDIA A30", 25, a30_uuid, 3,
                                      "1g.6gb", 1, 4)
    # the non-MIG RTX 2000 Ada of the same scrape is a whole GPU (its util 0.25 x 100 too)
    ada = "GPU-fc60126e-514d-3522-2828-c5daa8e99d85"
    assert got[ada][4:] == (ada, None, None, None, None)
    run_model(warehouse, "staging/stg_gpu_samples.sql")
    slices = dict(warehouse.execute("SELECT gpu_uuid, slice_fraction FROM stg_gpu_samples").fetchall())
    assert (slices[f"{a100_uuid}/GI0"], slices[f"{a30_uuid}/GI3"], slices[ada]) == (1.0, 0.25, 1.0)


def test_mig_quirks(warehouse, tmp_path):
    f = tmp_path / "mig.prom"
    lab = 'UUID="GPU-m",modelName="NVIDIA H100 80GB HBM3",hostname="n1"'
    f.write_text("\n".join([
        "# scrape 2026-06-01T10:00:00Z",
        # GPU_UTIL is not supported on MIG instances (reported as 0): the engine-active ratio wins
        f'DCGM_FI_DEV_GPU_UTIL{{{lab},GPU_I_PROFILE="3g.40gb",GPU_I_ID="1"}} 0',
        f'DCGM_FI_PROF_GR_ENGINE_ACTIVE{{{lab},GPU_I_PROFILE="3g.40gb",GPU_I_ID="1"}} 0.6',
        f'DCGM_FI_DEV_POWER_USAGE{{{lab},GPU_I_PROFILE="3g.40gb",GPU_I_ID="1"}} 300.5',
        f'DCGM_FI_PROF_GR_ENGINE_ACTIVE{{{lab},GPU_I_PROFILE="4g.40gb",GPU_I_ID="2"}} 0.2',
        f'DCGM_FI_DEV_POWER_USAGE{{{lab},GPU_I_PROFILE="4g.40gb",GPU_I_ID="2"}} 300.5',
        f'DCGM_FI_PROF_GR_ENGINE_ACTIVE{{{lab},GPU_I_PROFILE="1c.3g.40gb",GPU_I_ID="5"}} 0.1',  # not a GI profile
        'DCGM_FI_PROF_GR_ENGINE_ACTIVE{UUID="GPU-x",modelName="Mystery GPU",GPU_I_PROFILE="1g.5gb",GPU_I_ID="1"} 0.1',
        f'DCGM_FI_PROF_GR_ENGINE_ACTIVE{{{lab},GPU_I_PROFILE="1g.10gb"}} 0.1',                  # no instance id
        f'DCGM_FI_PROF_GR_ENGINE_ACTIVE{{{lab},GPU_I_PROFILE="1g.10gb",GPU_I_ID="x"}} 0.1',     # not an id
        f'DCGM_FI_PROF_GR_ENGINE_ACTIVE{{{lab},GPU_I_ID="6"}} 0.1',                              # no profile
    ]) + "\n")
    [result] = ingest_paths(warehouse, "dcgm", [f])
    c = result.counts
    assert (c.read, c.loaded, c.quarantined) == (7, 4, 3)
    got = {r[1]: r[3:] for r in _device_rows(warehouse)}
    assert got == {
        "GPU-m/GI1": (60, "GPU-m", 1, "3g.40gb", 3, 7),
        "GPU-m/GI2": (20, "GPU-m", 2, "4g.40gb", 4, 7),
        "GPU-m/GI5": (10, "GPU-m", 5, "1c.3g.40gb", None, None),   # unknown profile: slice NULL, reading kept
        "GPU-x/GI1": (10, "GPU-x", 1, "1g.5gb", 1, None),          # unknown GPU model: slice NULL
    }
    reasons = " | ".join(r for (r,) in warehouse.execute("SELECT reason FROM quarantine").fetchall())
    for expected in ("GPU_I_PROFILE but no GPU_I_ID", "is not a MIG GPU instance id", "GPU_I_ID but no GPU_I_PROFILE"):
        assert expected in reasons, expected


def test_mig_instance_costs_its_slice_of_the_gpu_rate(warehouse, tmp_path):
    """A MIG deployment pays per instance ⌊$/GPU-hour × g / slices⌋ µ$; a GPU's instances never exceed the GPU."""
    scrape = tmp_path / "n1.prom"
    h100 = 'modelName="NVIDIA H100 80GB HBM3"'
    scrape.write_text("\n".join([
        "# scrape 2026-06-01T09:00:00Z",
        # n1: GPU-m split 3g + 4g (each instance reports the whole GPU's power); GPU-w a whole GPU
        f'DCGM_FI_PROF_GR_ENGINE_ACTIVE{{UUID="GPU-m",{h100},hostname="n1",GPU_I_PROFILE="3g.40gb",GPU_I_ID="1"}} 0.6',
        f'DCGM_FI_DEV_POWER_USAGE{{UUID="GPU-m",{h100},hostname="n1",GPU_I_PROFILE="3g.40gb",GPU_I_ID="1"}} 300',
        f'DCGM_FI_PROF_GR_ENGINE_ACTIVE{{UUID="GPU-m",{h100},hostname="n1",GPU_I_PROFILE="4g.40gb",GPU_I_ID="2"}} 0.2',
        f'DCGM_FI_DEV_POWER_USAGE{{UUID="GPU-m",{h100},hostname="n1",GPU_I_PROFILE="4g.40gb",GPU_I_ID="2"}} 300',
        f'DCGM_FI_DEV_GPU_UTIL{{UUID="GPU-w",{h100},hostname="n1"}} 90',
        # n2: the same split, but only a whole-GPU deployment there (defined before MIG was turned on)
        f'DCGM_FI_PROF_GR_ENGINE_ACTIVE{{UUID="GPU-k",{h100},hostname="n2",GPU_I_PROFILE="3g.40gb",GPU_I_ID="1"}} 0.6',
        f'DCGM_FI_DEV_POWER_USAGE{{UUID="GPU-k",{h100},hostname="n2",GPU_I_PROFILE="3g.40gb",GPU_I_ID="1"}} 300',
        f'DCGM_FI_PROF_GR_ENGINE_ACTIVE{{UUID="GPU-k",{h100},hostname="n2",GPU_I_PROFILE="4g.40gb",GPU_I_ID="2"}} 0.2',
        f'DCGM_FI_DEV_POWER_USAGE{{UUID="GPU-k",{h100},hostname="n2",GPU_I_PROFILE="4g.40gb",GPU_I_ID="2"}} 300',
    ]) + "\n")
    ingest_paths(warehouse, "dcgm", [scrape])
    ingest_paths(warehouse, "dcgm", [H100_MIG], AT)  # genuine: three 1g.10gb instances on gsrh100-074
    a100 = tmp_path / "a100.prom"  # genuine labels: the exporter names the A100's all-7g.80gb instance 7g.79gb
    a100.write_text(_with_metric(A100_MIG, "DCGM_FI_DEV_SM_CLOCK", "DCGM_FI_PROF_GR_ENGINE_ACTIVE", "0.5"))
    ingest_paths(warehouse, "dcgm", [a100], AT)
    common = "cluster: c, model: m, precision: bf16, engine: vllm, gpu_rate_ref: h100"
    deployments = tmp_path / "deployments.yaml"
    deployments.write_text(f"""deployments:
  - {{deployment_id: embed, gpu_type: H100, gpu_count: 3, mig_profile: 1g.10gb, hosts: [gsrh100-074], {common}}}
  - {{deployment_id: small, gpu_type: H100, gpu_count: 1, mig_profile: 3g.40gb, hosts: [n1], {common}}}
  - {{deployment_id: medium, gpu_type: H100, gpu_count: 1, mig_profile: 4g.40gb, hosts: [n1], {common}}}
  - {{deployment_id: big, gpu_type: H100, gpu_count: 1, hosts: [n1], {common}}}
  - {{deployment_id: legacy, gpu_type: H100, gpu_count: 1, hosts: [n2], {common}}}
  - {{deployment_id: full, gpu_type: A100 80GB, gpu_count: 1, mig_profile: 7g.80gb, hosts: [metal-gpu-08], {common}}}
  - {{deployment_id: odd, gpu_type: Mystery, gpu_count: 1, mig_profile: 1g.5gb, gpu_slices: 8, hosts: [x], {common}}}
  - {{deployment_id: bad1, gpu_type: Mystery, gpu_count: 1, mig_profile: 1g.5gb, hosts: [x], {common}}}
  - {{deployment_id: bad2, gpu_type: A30, gpu_count: 1, mig_profile: 7g.80gb, hosts: [x], {common}}}
  - {{deployment_id: bad3, gpu_type: H100, gpu_count: 1, gpu_slices: 7, hosts: [x], {common}}}
  - {{deployment_id: bad4, gpu_type: H100, gpu_count: 1, mig_profile: half, hosts: [x], {common}}}
""")
    [dep] = ingest_paths(warehouse, "deployments", [deployments])
    assert (dep.counts.read, dep.counts.loaded, dep.counts.quarantined) == (11, 7, 4)
    reasons = " | ".join(r for (r,) in warehouse.execute("SELECT reason FROM quarantine").fetchall())
    for expected in ("unknown MIG compute slices for gpu_type 'Mystery'", "more than the 4 of one A30",
                     "gpu_slices only applies", "is not '<g>g.<memory>gb'"):
        assert expected in reasons, expected
    assert warehouse.execute("SELECT mig_slices, gpu_slices FROM gpu_deployments WHERE deployment_id = 'odd'"
                             ).fetchone() == (1, 8)
    warehouse.execute("INSERT INTO gpu_rates (rate_ref, gpu_type, kind, usd_per_gpu_hour, valid_from, run_id)"
                      " VALUES ('h100', 'H100', 'committed', 2.20, '2026-01-01 00:00:00+00', 'r')")
    for model in ("staging/stg_gpu_samples.sql", "staging/stg_gpu_deployments.sql", "staging/stg_gpu_rates.sql",
                  "intermediate/int_gpu_capacity_hourly.sql"):
        run_model(warehouse, model)
    got = {r[0]: r[1:] for r in warehouse.execute(
        "SELECT deployment_id, samples, gpus_reporting, avg_util_pct, avg_power_w, usd_per_device_hour,"
        " capacity_cost_usd, energy_kwh FROM int_gpu_capacity_hourly").fetchall()}
    # $2.20 / GPU-hour = 2,200,000 µ$.
    # embed: 3 instances x ⌊2,200,000 x 1/7⌋ = 3 x ⌊314,285.71⌋ = 3 x 314,285 = 942,855 µ$
    assert got["embed"][:2] == (3, 3) and got["embed"][4:6] == (Decimal("0.314285"), Decimal("0.942855"))
    # small: ⌊2,200,000 x 3/7⌋ = ⌊942,857.14⌋ = 942,857 µ$; medium: ⌊2,200,000 x 4/7⌋ = ⌊1,257,142.86⌋ = 1,257,142 µ$
    assert got["small"][4:6] == (Decimal("0.942857"), Decimal("0.942857"))
    assert got["medium"][4:6] == (Decimal("1.257142"), Decimal("1.257142"))
    # GPU-m's two instances: 942,857 + 1,257,142 = 2,199,999 µ$ ≤ 2,200,000 (1 µ$ of rounding is nobody's)
    assert got["small"][5] + got["medium"][5] == Decimal("2.199999") <= Decimal("2.2")
    # each reads its own instance: util 60 / 20; energy = its slice of the GPU's 300 W: 300 x 3/7 = 128.57 Wh
    assert got["small"][:4] == (1, 1, 60, Decimal("300")) and got["medium"][:4] == (1, 1, 20, Decimal("300"))
    assert got["small"][6] == pytest.approx(0.3 * 3 / 7) and got["medium"][6] == pytest.approx(0.3 * 4 / 7)
    # big: the whole GPU-w only (the instances on n1 are claimed by small and medium): util 90, 2,200,000 µ$
    assert got["big"][:3] == (1, 1, 90) and got["big"][5] == Decimal("2.200000")
    # legacy (whole GPU, no MIG deployment on n2) keeps reading its GPU: both instances, util weighted by
    # slice (60 x 3 + 20 x 4) / 7 = 260 / 7 = 37.14; power 300 W once per (GPU, scrape), not once per instance
    assert got["legacy"][:2] == (2, 2) and got["legacy"][2] == pytest.approx(260 / 7)
    assert got["legacy"][3] == Decimal("300") and got["legacy"][5] == Decimal("2.200000")
    # full: declared 7g.80gb, reads the exporter's 7g.79gb (matched on compute slices: 7 of 7 = the whole rate)
    assert got["full"][:3] == (1, 1, 50) and got["full"][5] == Decimal("2.200000")
    # Σ slices of one GPU's instances in one scrape ≤ the GPU's slices (GPU-m: 3 + 4 = 7 of 7; the genuine
    # H100: 3 x 1 = 3 of 7; the genuine A100: 7 of 7), so Σ ⌊rate × g / slices⌋ over a GPU's instances ≤ ⌊rate × Σg / slices⌋ ≤ rate
    per_gpu = warehouse.execute("SELECT parent_gpu_uuid, sum(mig_slices), max(gpu_slices) FROM stg_gpu_samples"
                                " WHERE mig_profile IS NOT NULL GROUP BY parent_gpu_uuid, ts ORDER BY 1").fetchall()
    assert per_gpu == [("GPU-06357e72-c3ee-614b-775f-a89e18e8cc08", 7, 7), (H100_MIG_UUID, 3, 7), ("GPU-k", 7, 7),
                       ("GPU-m", 7, 7)]
