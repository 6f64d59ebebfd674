"""Every benchmark in one go, then one table: benchmarks/results/README.md.

    make bench                                            # = .venv/bin/python benchmarks/run_all.py
    .venv/bin/python benchmarks/run_all.py --quick        # fewer steps and rows: a smoke run
    .venv/bin/python benchmarks/run_all.py --only eval route

Each script runs in its own process and writes results/<name>.json. The eval, grammar and route
scripts measure one tiny run dir, trained here once in a temp dir (the tiny recipe for a few hundred
steps: enough for answers of real length) and passed to them as --run. gpu.py runs too when CUDA is
available. A script that fails leaves no result: the table says it failed, and run_all exits 1 once
the others have run. Nothing from an earlier run is needed (or reused, except a GPU result, which
stays in the table with its own date and machine).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from common import HERE, RESULTS, RUN_STEPS, quiet, set_threads, tiny_run, workdir
from table import write_table

# name -> (script, normal args, --quick args); the order of the questions.
BENCHMARKS = {
    "training": ("bench_training.py", [], ["--steps", "10", "--padded-steps", "2"]),
    "attention": ("bench_attention.py", [], ["--steps", "60", "--rows", "1000"]),
    "eval": ("bench_eval.py", [], ["--n", "32"]),
    "prompt": ("bench_prompt.py", [], []),
    "grammar": ("bench_grammar.py", [], ["--reps", "1"]),
    "route": ("bench_route.py", [], ["--n", "10"]),
    "data": ("bench_data.py", [], ["--quick"]),
    "prefix_cache": ("bench_prefix_cache.py", [], ["--n", "4"]),
    "serve": ("bench_serve.py", [], ["--requests", "64", "--sequential", "16"]),
    "scaling": ("bench_scaling.py", [], ["--quick"]),
}
NEEDS_RUN = ("eval", "grammar", "route", "serve")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke run: fewer steps, rows and requests")
    parser.add_argument("--only", nargs="+", choices=list(BENCHMARKS), metavar="NAME",
                        help=f"run only these ({', '.join(BENCHMARKS)})")
    args = parser.parse_args()
    quiet()
    chosen = args.only or list(BENCHMARKS)
    started = time.time()
    failed: dict[str, str] = {}

    import torch

    set_threads(1)  # the shared run's training; see common.set_threads
    with workdir() as tmp:
        run_args: list[str] = []
        if any(name in NEEDS_RUN for name in chosen):
            print(f"== shared tiny run ({RUN_STEPS // 2 if args.quick else RUN_STEPS} steps)", flush=True)
            run_args = ["--run", str(tiny_run(tmp / "run", RUN_STEPS // 2 if args.quick else RUN_STEPS))]
        jobs = [(name, *BENCHMARKS[name]) for name in chosen]
        if torch.cuda.is_available() and not args.only:
            jobs.append(("gpu", "gpu.py", [], ["--steps", "5"]))
        for i, (name, script, normal, quick) in enumerate(jobs, 1):
            print(f"== [{i}/{len(jobs)}] {script}", flush=True)
            (RESULTS / f"{name}.json").unlink(missing_ok=True)  # a failed script must not leave an old figure
            command = [sys.executable, str(HERE / script), *(quick if args.quick else normal)]
            if name in NEEDS_RUN:
                command += run_args
            start = time.time()
            proc = subprocess.run(command, env=os.environ.copy())
            if proc.returncode != 0:
                failed[name] = f"`{' '.join(command[1:])}` exited {proc.returncode}"
                print(f"   {script} FAILED (exit {proc.returncode})", flush=True)
            else:
                print(f"   {script}: {time.time() - start:.0f} s", flush=True)

    write_table(failed)
    print(f"== wrote {(RESULTS / 'README.md').relative_to(HERE.parent)} ({time.time() - started:.0f} s in all)"
          + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
