"""Question 6, data generation: how many verified rows per second does `build_dataset` make?

    .venv/bin/python benchmarks/bench_data.py            # 100,000 support_router rows (target: < 30 s)
    .venv/bin/python benchmarks/bench_data.py --quick    # 10,000 rows, for a smoke run

One process, one core (the generator is pure Python: no torch, no threads). Every row is rendered,
written canonically and parsed back against its catalogue, so rows/s includes the verification.
car_control (18 tools, sets and numeric ranges) is timed on a tenth of the rows as well.
"""
from __future__ import annotations

import argparse
import time

from common import figure, quiet, write_result

TARGET_S = 30.0  # the issue: 100,000 rows in under 30 s on one core


def rows_per_second(catalogue: str, n: int) -> tuple[float, float, int]:
    from toolrouter.data.pipeline import build_dataset

    start = time.perf_counter()
    ds = build_dataset(catalogue, n=n, seed=0)
    seconds = time.perf_counter() - start
    made = sum(len(rows) for rows in ds.splits.values())
    return seconds, made / seconds, made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--quick", action="store_true", help="10,000 rows instead of 100,000")
    args = parser.parse_args()
    quiet()
    started = time.time()
    n = 10_000 if args.quick else 100_000

    rows_per_second("support_router", 200)  # imports out of the timing
    seconds, rate, made = rows_per_second("support_router", n)
    _, car_rate, car_made = rows_per_second("car_control", n // 10)
    figures = [
        figure("support_router_rows", "support_router rows built", made, "rows"),
        figure("support_router_seconds", "support_router build time", round(seconds, 2), "s"),
        figure("support_router_rows_per_s", "support_router rows/s", round(rate), "rows/s"),
        figure("support_router_100k_s", "time for 100,000 rows" + (" (projected from --quick)" if args.quick else ""),
               round(100_000 / rate, 1), "s", target=f"< {TARGET_S:g} s", met=100_000 / rate < TARGET_S),
        figure("car_control_rows_per_s", f"car_control rows/s ({car_made:,} rows)", round(car_rate), "rows/s"),
    ]
    write_result("data", "6. Data generation: verified rows/s of build_dataset (one core)",
                 "benchmarks/bench_data.py" + (" --quick" if args.quick else ""), figures, started)


if __name__ == "__main__":
    main()
