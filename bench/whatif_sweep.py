"""Sweep latency: 10 GPUs x 5 precisions x TP {1,2,4,8} x 30 concurrencies (6,000 configurations).

Run: .venv/bin/python bench/whatif_sweep.py
Prints the vectorised sweep + Pareto time (best of 5, goal < 200 ms) next to a baseline that asks the
same model one configuration at a time, and their ratio.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tokenomics.pricing.perf import whatif  # noqa: E402

GPUS = ["a100-sxm", "h100-sxm", "h100-pcie", "h200-sxm", "b200-sxm", "gb200", "l40s", "l4", "mi300x", "mi355x"]
PRECISIONS = ["bf16", "fp8", "int8", "int4-awq", "nvfp4"]
TPS = [1, 2, 4, 8]
CONCURRENCIES = list(whatif.DEFAULT_CONCURRENCIES)


def vectorised() -> int:
    df = whatif.sweep("llama-3.3-70b", 1024, 1024, GPUS, PRECISIONS, TPS, CONCURRENCIES)
    whatif.pareto(df)
    return df.height


def one_at_a_time(limit: int) -> int:
    n = 0
    for g in GPUS:
        for p in PRECISIONS:
            for tp in TPS:
                for c in CONCURRENCIES:
                    whatif.evaluate("llama-3.3-70b", [g], [p], [tp], [c], 1024, 1024)
                    n += 1
                    if n == limit:
                        return n
    return n


def best_of(fn, *args, repeat: int = 5) -> tuple[float, int]:
    times, n = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        n = fn(*args)
        times.append(time.perf_counter() - start)
    return min(times), n


def main() -> int:
    vectorised()  # warm caches (catalogue, coefficients)
    t_vec, n = best_of(vectorised)
    t_one, m = best_of(one_at_a_time, 300, repeat=1)
    per_config = t_one / m
    print(f"configurations            {n}")
    print(f"vectorised sweep+pareto   {t_vec * 1e3:8.1f} ms   (goal < 200 ms: {'met' if t_vec < 0.2 else 'MISSED'})")
    print(f"one-at-a-time baseline    {per_config * n * 1e3:8.1f} ms   (extrapolated from {m} configurations)")
    print(f"speed-up                  {per_config * n / t_vec:8.1f}x")
    return 0 if t_vec < 0.2 else 1


if __name__ == "__main__":
    raise SystemExit(main())
