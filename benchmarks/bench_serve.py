"""Question 7, serving under load: `toolrouter serve` answering N concurrent clients vs the same
requests sent one at a time, p50/p95/p99 latency and requests/s, in one run.

    .venv/bin/python benchmarks/bench_serve.py                        # trains a tiny run first (~1-2 min)
    .venv/bin/python benchmarks/bench_serve.py --run runs/support_router_tiny --clients 32 --requests 256

The server is the real process (`python -m toolrouter.serve.openai_server`, torch threads --threads,
batches of up to --clients) on 127.0.0.1. Requests are the catalogue's gold-set prompts, cycled, all
with the full tool list. Sequential: one client, one request at a time. Concurrent: --clients threads,
each sending its share back to back (a closed loop). The clients are plain keep-alive HTTP
connections (http.client), not the openai client, so the load generator takes little of the CPU it
shares with the server. A latency is from sending a request to having its parsed JSON reply.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

from common import REPO, figure, percentile, quiet, run_or_build, workdir, write_result


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(run, port: int, threads: int, max_batch: int, log_path):
    """The server process, once /health answers."""
    log = open(log_path, "wb")
    proc = subprocess.Popen([sys.executable, "-m", "toolrouter.serve.openai_server", "--run", str(run),
                             "--port", str(port), "--threads", str(threads), "--max-batch", str(max_batch)],
                            stdout=log, stderr=subprocess.STDOUT, cwd=REPO,
                            env={**os.environ, "TOKENIZERS_PARALLELISM": "false"})
    deadline = time.time() + 180
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                return proc, json.loads(r.read())["model"]
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                sys.exit(f"error: the server did not start; its log:\n{open(log_path).read()}")
            time.sleep(0.2)


def client(port: int, bodies: list[bytes], latencies: list[float], kinds: dict, lock: threading.Lock) -> None:
    """Send `bodies` one after another on one keep-alive connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    for body in bodies:
        start = time.perf_counter()
        conn.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        reply = json.loads(response.read())
        elapsed = 1000 * (time.perf_counter() - start)
        kind = (reply["choices"][0]["finish_reason"] if response.status == 200 else f"http {response.status}")
        with lock:
            latencies.append(elapsed)
            kinds[kind] = kinds.get(kind, 0) + 1
    conn.close()


def load(port: int, bodies: list[bytes], clients: int) -> dict:
    """Send `bodies` from `clients` concurrent clients; latencies (ms), requests/s, reply kinds."""
    latencies: list[float] = []
    kinds: dict = {}
    lock = threading.Lock()
    shares = [bodies[i::clients] for i in range(clients)]
    threads = [threading.Thread(target=client, args=(port, share, latencies, kinds, lock)) for share in shares]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    return {"latency_ms": latencies, "seconds": seconds, "rps": len(bodies) / seconds, "kinds": kinds}



def phase_figures(sequential: dict, concurrent: dict, clients: int, who: str = "") -> list[dict]:
    """requests/s and p50/p95/p99 latency of the one-at-a-time and the concurrent phase (also bench_vllm's)."""
    out = []
    for key, phase, label in (("sequential", sequential, "one at a time"),
                              ("concurrent", concurrent, f"{clients} concurrent clients")):
        ms = phase["latency_ms"]
        out += [figure(f"rps_{key}", f"{who}requests/s, {label}", round(phase["rps"], 1), "req/s")]
        out += [figure(f"p{q}_{key}", f"{who}latency p{q}, {label}", round(percentile(ms, q), 1), "ms")
                for q in (50, 95, 99)]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--run", help="a run dir to serve (default: train a tiny one in a temp dir)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (default 32)")
    parser.add_argument("--requests", type=int, default=256, help="requests in the concurrent phase (default 256)")
    parser.add_argument("--sequential", type=int, default=64, help="requests sent one at a time (default 64)")
    parser.add_argument("--threads", type=int, default=1, help="the server's torch threads (default 1)")
    args = parser.parse_args()
    quiet()
    started = time.time()

    from toolrouter.serve.router import Router  # noqa: F401 (fails early if the package is missing)

    with workdir() as tmp:
        run = run_or_build(args.run, tmp)
        gold = REPO / "toolrouter" / "evals" / f"{json.loads((run / 'run.json').read_text())['catalogue']}.jsonl"
        prompts = [json.loads(line)["prompt"] for line in gold.read_text(encoding="utf-8").splitlines()
                   if line.strip() and "prompt" in json.loads(line)]
        tools = json.loads((run / "catalogue.json").read_text())
        port = free_port()
        proc, model = start_server(run, port, args.threads, args.clients, tmp / "server.log")
        try:
            def bodies(n: int, offset: int = 0) -> list[bytes]:
                return [json.dumps({"model": model, "tools": tools, "messages": [
                    {"role": "user", "content": prompts[(offset + i) % len(prompts)]}]}).encode() for i in range(n)]

            def health() -> dict:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health") as r:
                    return json.loads(r.read())

            load(port, bodies(args.clients), args.clients)  # warm-up: first batch shapes, connections
            sequential = load(port, bodies(args.sequential), 1)
            before = health()
            concurrent = load(port, bodies(args.requests), args.clients)
            after = health()
            batches = after["batches"] - before["batches"]
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=120)

    ratio = concurrent["rps"] / sequential["rps"]
    figures = [figure("requests", f"requests ({gold.name} prompts), sequential / concurrent",
                      f"{args.sequential} / {args.requests}")]
    figures += phase_figures(sequential, concurrent, args.clients)
    answered = sum(n for k, n in concurrent["kinds"].items() if k in ("tool_calls", "stop"))
    figures += [figure("rows_per_batch", f"requests per batched generate, {args.clients} concurrent clients",
                       round(args.requests / batches, 1), "rows"),
                figure("valid_concurrent", "concurrent replies that are a call or a no_tool",
                       f"{answered}/{args.requests}"),
                figure("throughput_ratio", f"requests/s, {args.clients} concurrent / one at a time", round(ratio, 2),
                       "x", target=">= 5", met=ratio >= 5)]
    notes = [f"server: toolrouter serve, torch threads {args.threads}, --max-batch {args.clients}, grammar-"
             "constrained, the run's max_new_tokens. Client and server share the machine's cores."]
    write_result("serve", "7. Serving: toolrouter serve under concurrent load vs one request at a time",
                 f"benchmarks/bench_serve.py --clients {args.clients} --requests {args.requests} "
                 f"--sequential {args.sequential}", figures, started, notes,
                 extra={"kinds": {"sequential": sequential["kinds"], "concurrent": concurrent["kinds"]},
                        "latency_ms": {"sequential": sequential["latency_ms"], "concurrent": concurrent["latency_ms"]}})


if __name__ == "__main__":
    main()
