"""`tokenomics whatif` and `tokenomics calibrate`: the performance model from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path

from tokenomics.pricing.perf.names import ENGINES, TIERS


def _money(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a decimal amount: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("$/GPU-hour must be positive")
    return value


def cmd_whatif(args) -> int:
    from tokenomics.pricing.perf import whatif

    try:
        if args.sweep:
            return _sweep(args)
        if args.concurrency is None and args.ttft_slo_ms is None and args.tpot_slo_ms is None:
            print("error: give --concurrency, or --ttft-slo-ms/--tpot-slo-ms to search for the best point",
                  file=sys.stderr)
            return 2
        common = dict(model=args.model, precision=args.precision, tp=args.tp, isl=args.isl,
                      osl=args.osl, engine=args.engine, price_tier=args.price_tier,
                      usd_per_gpu_hour_override=args.usd_per_gpu_hour)
        if args.gpu:
            result = _one(whatif, args, gpu=args.gpu, **common)
        else:
            result = _best_gpu(whatif, args, common)
    except (whatif.WhatIfError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, default=str))
    else:
        for key, value in result.items():
            print(f"{key:>40}  {value}")
    return 0 if result["fits"] and result.get("meets_slo", True) else 1


def _one(whatif, args, **common) -> dict:
    if args.concurrency is not None:
        return whatif.point(concurrency=args.concurrency, **common)
    return whatif.best_point(ttft_slo_ms=args.ttft_slo_ms, tpot_slo_ms=args.tpot_slo_ms, **common)


def _best_gpu(whatif, args, common) -> dict:
    """No --gpu: ask every catalogue GPU the same question and answer with the cheapest that fits (and meets
    the SLO when one was given), saying so in ``gpu_chosen``."""
    from tokenomics.pricing.perf.catalogue import catalogue

    cat = catalogue()
    answers = [_one(whatif, args, gpu=gpu, **common) for gpu in cat.gpus  # only GPUs the engine serves it on
               if args.precision not in cat.precisions or not cat.why_unsupported(args.engine, gpu, args.precision)]
    good = [a for a in answers if a["fits"] and a.get("meets_slo", True) and a["usd_per_mtok"] is not None]
    if not good:
        what = "meets the latency objectives" if args.concurrency is None else "fits"
        raise whatif.WhatIfError(f"no GPU in the catalogue {what} for {args.model} at {args.precision}, TP={args.tp}; "
                                 "give --gpu to see why for one GPU, or raise --tp")
    best = min(good, key=lambda a: a["usd_per_mtok"])
    return {**best, "gpu_chosen": f"cheapest $/1M tokens of {len(good)} catalogue GPUs that fit"
            + (" and meet the SLO" if args.concurrency is None else "") + " (no --gpu given)"}


def _sweep(args) -> int:
    """Pareto frontier over the catalogue (or the --gpu given) for one model and workload."""
    import polars as pl

    from tokenomics.pricing.perf import whatif

    df = whatif.sweep(args.model, args.isl, args.osl, gpus=[args.gpu] if args.gpu else None,
                      engine=args.engine, price_tier=args.price_tier)
    front = whatif.pareto(whatif.within_slo(df, args.ttft_slo_ms, args.tpot_slo_ms, args.slo_upper_bound))
    front = front.with_columns(slo_at_risk=whatif.slo_at_risk(args.ttft_slo_ms, args.tpot_slo_ms))
    cols = ["gpu", "precision", "tp", "concurrency", "ttft_ms", "ttft_ms_lo", "ttft_ms_hi", "tpot_ms",
            "tpot_ms_lo", "tpot_ms_hi", "tok_s_per_user", "output_tok_s_per_gpu", "usd_per_mtok",
            "usd_per_mtok_lo", "usd_per_mtok_hi", "measured", "slo_at_risk"]
    if args.json:
        print(json.dumps(front.select(cols).to_dicts()))
    else:
        with pl.Config(tbl_rows=-1, tbl_cols=-1, float_precision=2, tbl_hide_dataframe_shape=True):
            print(front.select(cols))
    return 0


def cmd_calibrate(args) -> int:
    from tokenomics.pricing.perf import fit

    out = Path(args.out) if args.out else fit.COEFFICIENTS
    result = fit.calibrate([Path(p) for p in args.csv], out)
    print(f"fitted on {result['source']['rows_used']} rows, skipped {result['source']['rows_skipped']}; wrote {out}")
    for row in result["report"]:
        print(f"  {row['regime']:<22} {row['split']:<9} {row['anchor']:<7} rows={row['rows']:<5} TPOT {row['tpot_mape']:>5}%  "
              f"throughput {row['throughput_mape']:>5}%  TTFT {row['ttft_mape']:>5}%")
    return 0


def add_parsers(sub) -> None:
    w = sub.add_parser("whatif", help="predict latency, throughput and $/1M tokens for a GPU serving setup")
    w.add_argument("--model", required=True, help="catalogue id or Hugging Face name, e.g. llama-3.3-70b")
    w.add_argument("--gpu", help="catalogue id, e.g. h100-sxm (omit: the cheapest catalogue GPU that fits and meets"
                                 " the SLO, or every GPU with --sweep)")
    w.add_argument("--precision", default="bf16")
    w.add_argument("--tp", type=int, default=1, help="tensor-parallel GPUs per replica")
    w.add_argument("--isl", type=int, default=1024, help="input tokens per request")
    w.add_argument("--osl", type=int, default=1024, help="output tokens per request")
    w.add_argument("--concurrency", type=int, help="requests in flight per replica")
    w.add_argument("--ttft-slo-ms", type=float)
    w.add_argument("--tpot-slo-ms", type=float)
    w.add_argument("--engine", default="vllm", choices=ENGINES)
    w.add_argument("--price-tier", default="on_demand", choices=TIERS)
    w.add_argument("--usd-per-gpu-hour", type=_money, help="override the catalogue rate (e.g. your contract)")
    w.add_argument("--sweep", action="store_true", help="print the Pareto frontier over GPUs/precisions/TP/load "
                   "(within --ttft-slo-ms/--tpot-slo-ms when given)")
    w.add_argument("--slo-upper-bound", action="store_true",
                   help="with an SLO: require the top of the 80 %% range (ttft_ms_hi/tpot_ms_hi) within it")
    w.add_argument("--json", action="store_true")
    w.set_defaults(func=cmd_whatif)

    c = sub.add_parser("calibrate", help="refit the performance model on measured benchmark CSVs")
    c.add_argument("csv", nargs="+", help="files in the AIConfigurator silicon_sample.csv layout (the committed fit: "
                   "tests/fixtures/silicon_sample.csv tests/fixtures/real/amd/amd_serving.csv)")
    c.add_argument("--out", help="coefficient file to write (default: the packaged one)")
    c.set_defaults(func=cmd_calibrate)
