"""Question 5, routing latency: p50 and p95 of `Router.route` for single requests, with constrained
decoding on (the default) and off.

    .venv/bin/python benchmarks/bench_route.py                        # trains a tiny run first (~1-2 min)
    .venv/bin/python benchmarks/bench_route.py --run runs/support_router_tiny --n 60

One Router over a tiny run dir, requests = the first --n prompts of the catalogue's gold set, one
`route()` call each (prompt, greedy decode, parse, validate), timed from the call to the ParseResult.
Constrained and unconstrained alternate request by request, so a shared CPU's load drift hits both;
two warm-up requests are excluded.
"""
from __future__ import annotations

import argparse
import json
import time

from common import REPO, describe, figure, percentile, quiet, run_or_build, set_threads, workdir, write_result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--run", help="a run dir to measure (default: train a tiny one in a temp dir)")
    parser.add_argument("--n", type=int, default=40, help="requests (default 40)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1: see benchmarks/README.md)")
    args = parser.parse_args()
    quiet()
    set_threads(args.threads)
    started = time.time()

    from toolrouter import Router
    from toolrouter.infer.loading import Loaded

    with workdir() as tmp:
        router = Router.load(run_or_build(args.run, tmp), constrained=True, device="cpu")
    gold = REPO / "toolrouter" / "evals" / f"{router.catalogue.name}.jsonl"
    requests = [json.loads(line)["prompt"] for line in gold.read_text(encoding="utf-8").splitlines()
                if line.strip() and "prompt" in json.loads(line)][:args.n]

    latency = {True: [], False: []}
    kinds = {True: {}, False: {}}
    for constrained in (True, False):  # warm-up: first-call allocations, grammar compile
        router.constrained = constrained
        router.route(requests[0])
    for request in requests:
        for constrained in (True, False):
            router.constrained = constrained
            start = time.perf_counter()
            result = router.route(request)
            latency[constrained].append(1000 * (time.perf_counter() - start))
            kinds[constrained][result.kind] = kinds[constrained].get(result.kind, 0) + 1

    figures = [figure("requests", f"requests ({gold.name}), one route() call each", len(requests), "requests")]
    for constrained, word in ((True, "constrained"), (False, "unconstrained")):
        ms = latency[constrained]
        figures += [
            figure(f"p50_{word}", f"route() p50, {word}", round(percentile(ms, 50), 1), "ms"),
            figure(f"p95_{word}", f"route() p95, {word}", round(percentile(ms, 95), 1), "ms"),
            figure(f"valid_{word}", f"answers that parse (call or no_tool), {word}",
                   f"{len(ms) - kinds[constrained].get('invalid', 0)}/{len(ms)}"),
        ]
    figures.append(figure("p50_ratio", "p50 constrained / unconstrained",
                          round(percentile(latency[True], 50) / percentile(latency[False], 50), 2), "x"))
    loaded = Loaded(model=router.model, tokenizer=router.tokenizer, run=router.run)
    notes = [f"model: {describe(loaded)}, fp32 on CPU, torch threads: {args.threads}, max_new_tokens "
             f"{router.max_new_tokens}; prompt mode {router.mode}."]
    write_result("route", "5. Routing latency: Router.route p50/p95 per single request",
                 f"benchmarks/bench_route.py --n {args.n}", figures, started, notes,
                 extra={"latency_ms": {"constrained": latency[True], "unconstrained": latency[False]},
                        "kinds": {"constrained": kinds[True], "unconstrained": kinds[False]}})


if __name__ == "__main__":
    main()
