"""benchmarks/results/*.json -> benchmarks/results/README.md: one table with every figure.

    .venv/bin/python benchmarks/table.py          # rewrite the table from the JSON files already there

run_all.py and gpu.py call write_table() after measuring; this file only formats. No torch.
"""
from __future__ import annotations

import json
import os
import sys

from common import RESULTS, fmt

# Table order: the questions, then the GPU run (a different machine, when there is one).
ORDER = ("training", "attention", "eval", "prompt", "grammar", "route", "data", "prefix_cache", "serve", "serve_vllm", "scaling", "gpu")
SCRIPTS = {"training": "bench_training.py", "attention": "bench_attention.py", "eval": "bench_eval.py", "prompt": "bench_prompt.py",
           "grammar": "bench_grammar.py", "route": "bench_route.py", "data": "bench_data.py",
           "prefix_cache": "bench_prefix_cache.py", "serve": "bench_serve.py", "serve_vllm": "bench_vllm.py",
           "scaling": "bench_scaling.py", "gpu": "gpu.py"}
KEY_VERSIONS = ("torch", "transformers", "trl", "peft", "xgrammar")


def load_results() -> dict[str, dict]:
    out = {}
    for name in ORDER:
        path = RESULTS / f"{name}.json"
        if path.is_file():
            out[name] = json.loads(path.read_text(encoding="utf-8"))
    return out


def _machine_line(m: dict) -> str:
    text = f"{m.get('cpu', '?')}, {m.get('cores', '?')} cores"
    if m.get("torch_threads"):
        text += f" (torch threads: {m['torch_threads']})"
    if m.get("gpu"):
        text += f"; GPU {m['gpu']} ({m.get('gpu_memory_gib', '?')} GiB)"
    return text + f"; {m.get('os', '?')}, Python {m.get('python', '?')}"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render(results: dict[str, dict], failed: dict[str, str] | None = None) -> str:
    failed = failed or {}
    cpu = [r for name, r in results.items() if name != "gpu"]
    lines = ["# Benchmark results", "",
             "Written by `make bench` (`.venv/bin/python benchmarks/run_all.py`); `benchmarks/gpu.py` adds the GPU "
             "rows when run on a GPU. Do not edit by hand: rerun. What each script measures and how: "
             "[../README.md](../README.md).", ""]
    if cpu:
        first = cpu[0]
        loads = [r["machine"]["load_average_1min"] for r in cpu if r["machine"].get("load_average_1min") is not None]
        lines.append(f"- **Machine:** {_machine_line(first['machine'])}")
        if loads:
            lines.append(f"- **Load average (1 min) when each script finished:** {min(loads):g} to {max(loads):g} on "
                         f"{first['machine'].get('cores')} cores. The CPU was shared with other work, so absolute "
                         "numbers are noisy; each comparison (ratio) is measured within one run of one script, "
                         "side by side, on the same model and data.")
        versions = first["versions"]
        lines.append("- **Versions:** " + ", ".join(f"{k} {versions.get(k)}" for k in KEY_VERSIONS)
                     + " (also " + ", ".join(f"{k} {v}" for k, v in versions.items()
                                             if k not in KEY_VERSIONS and v) + ")")
        dates = sorted(r["date"] for r in cpu)
        lines.append(f"- **Measured:** {dates[0]} to {dates[-1]}, {sum(r['wall_s'] for r in cpu):.0f} s of scripts")
    if "gpu" in results:
        g = results["gpu"]
        lines.append(f"- **GPU run:** {_machine_line(g['machine'])}, {g['date']}")
    else:
        lines.append("- **GPU run:** not measured (no GPU here); `benchmarks/gpu.py` on a CUDA machine adds it.")
    targets = [f for r in results.values() for f in r["figures"] if "target" in f]
    if targets:
        lines.append(f"- **Targets met:** {sum(f['met'] for f in targets)} of {len(targets)}")
    lines += ["", "| Question | Figure | Value | Target | Met |", "|---|---|---:|---|---|"]
    for name in ORDER:
        if name in failed:
            lines.append(f"| {name} | **failed**: {_cell(failed[name])} | | | |")
            continue
        if name not in results:
            continue
        question = results[name]["question"].split(":")[0]
        for f in results[name]["figures"]:
            value = f"{fmt(f['value'])} {f['unit']}".strip()
            met = ("yes" if f["met"] else "**no**") if "target" in f else ""
            lines.append(f"| {_cell(question)} | {_cell(f['label'])} | {_cell(value)} | {_cell(f.get('target', ''))} "
                         f"| {met} |")
    if "scaling" in results:
        lines += _scaling(results["scaling"])
    lines += ["", "## Notes", ""]
    for name in ORDER:
        if name not in results:
            continue
        r = results[name]
        lines.append(f"- **{_cell(r['question'])}** (`{r['command']}`, {r['wall_s']} s, {r['date']})")
        lines += [f"  - {note}" for note in r.get("notes", [])]
    return "\n".join(lines) + "\n"


def _scaling(r: dict) -> list[str]:
    """The scaling figures as two small tables (rows x rows/s; catalogue x mode), from one run."""
    lines = ["", f"## Scaling (`{r['command']}`, {r['date']}, one run)", "",
             "| Data build rows | rows/s |", "|---:|---:|"]
    lines += [f"| {int(n):,} | {fmt(rate)} |" for n, rate in r.get("data_rows_per_s", {}).items()]
    lines += ["", "| Tools | Prompt mode | Tokens a row | Train step (one row) | Eval examples/s (batch 8) |",
              "|---:|---|---:|---:|---:|"]
    lines += [f"| {m['tools']} ({_cell(m['catalogue'])}) | {m['mode']} | {fmt(m['row_tokens'])} | "
              f"{fmt(m['train_step_s'])} s | {fmt(m['eval_examples_per_s'])} |" for m in r.get("matrix", [])]
    return lines


def write_table(failed: dict[str, str] | None = None) -> str:
    """Render every result present (and the failures given) into results/README.md; returns the text."""
    text = render(load_results(), failed)
    path = RESULTS / "README.md"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return text


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        sys.exit(0)
    print(write_table(), end="")
