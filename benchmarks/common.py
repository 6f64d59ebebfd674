"""What every benchmark script shares: the machine and library versions, a tiny trained run to
measure, timing helpers, and one JSON result per script in benchmarks/results/.

Not a benchmark itself; the scripts beside it import it (`from common import ...`, since they are
run as files: `.venv/bin/python benchmarks/bench_eval.py`).

A result file holds `figures`: one row per measured number, with its unit and, where the issue set
one, the target and whether it was met. benchmarks/table.py turns all of them into results/README.md.
"""
from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Optional

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
sys.path.insert(0, str(REPO))  # `toolrouter` from this checkout, also without `pip install -e .`

LIBRARIES = ("torch", "transformers", "trl", "peft", "xgrammar", "datasets", "accelerate", "tokenizers",
             "bitsandbytes")
# The shared run: the tiny recipe for a few hundred steps. The format (JSON, then <|im_end|>) is learned
# by then (val loss ~0.7 after 200 steps; after 100 some answers still run to max_new_tokens), so answers
# have their real length (~20 tokens) instead of a random model's max_new_tokens, which is what latency
# and throughput depend on. It is not accurate yet (it copies order IDs wrongly): no figure here needs that.
RUN_RECIPE = "support_router_tiny"
RUN_STEPS = 200


def quiet() -> None:
    """Silence progress bars and library chatter: benchmark output is the figures."""
    os.environ.setdefault("TQDM_DISABLE", "1")
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import warnings

    warnings.filterwarnings("ignore")


def set_threads(n: int = 1) -> int:
    """torch threads, never more than the cores. The scripts default to 1: on the 2 shared cores they were
    written on, 2 threads made training steps 3x and decoding up to 10x slower than 1 (OpenMP workers
    spinning against other processes), and far noisier. On an idle machine pass --threads 2."""
    import torch

    n = max(1, min(n, os.cpu_count() or 1))
    torch.set_num_threads(n)
    return n


def machine() -> dict:
    """CPU model, cores, torch threads, GPU (if any), OS, Python, and the load average as measured."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {"cpu": cpu, "cores": os.cpu_count(), "os": platform.platform(terse=True),
            "python": platform.python_version()}
    try:
        info["load_average_1min"] = round(os.getloadavg()[0], 2)
    except OSError:
        pass
    if "torch" in sys.modules:
        import torch

        info["torch_threads"] = torch.get_num_threads()
        if torch.cuda.is_available():
            info["gpu"] = torch.cuda.get_device_name(0)
            info["gpu_memory_gib"] = round(torch.cuda.get_device_properties(0).total_memory / 2**30, 1)
    return info


def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in LIBRARIES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def figure(name: str, label: str, value: Any, unit: str = "", target: Optional[str] = None,
           met: Optional[bool] = None) -> dict:
    """One row of the table. `target` is the issue's text (e.g. '>= 0.95'), `met` whether `value` meets it."""
    row = {"name": name, "label": label, "value": value, "unit": unit}
    if target is not None:
        row.update(target=target, met=bool(met))
    return row


def write_result(name: str, question: str, command: str, figures: list[dict], started: float,
                 notes: Optional[list[str]] = None, extra: Optional[dict] = None) -> Path:
    """results/<name>.json, written via a temp file + rename (a crashed run leaves the old one intact)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {"benchmark": name, "question": question, "command": command,
              "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "wall_s": round(time.time() - started, 1),
              "machine": machine(), "versions": versions(), "figures": figures, "notes": notes or [],
              **(extra or {})}
    path = RESULTS / f"{name}.json"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    for row in figures:
        value = fmt(row["value"])
        target = f"   target {row['target']}: {'met' if row['met'] else 'NOT met'}" if "target" in row else ""
        print(f"  {row['label']}: {value} {row['unit']}{target}".rstrip())
    print(f"wrote {path.relative_to(REPO)} ({result['wall_s']} s)")
    return path


def fmt(value: Any) -> str:
    """Numbers to 3 significant figures (thousands as integers), everything else as text."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value == 0:
            return "0"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.3g}"
    return str(value)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) with linear interpolation, as numpy's default does."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    k = (len(ordered) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def median(values: list[float]) -> float:
    return statistics.median(values)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


@contextmanager
def workdir(keep: Optional[str] = None):
    """A temporary directory (removed afterwards), or `keep` when given."""
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        yield Path(keep)
        return
    with tempfile.TemporaryDirectory(prefix="toolrouter-bench-") as tmp:
        yield Path(tmp)


def train_timed(trainer, warmup: int) -> tuple[dict, object]:
    """trainer.train(), recording the real/total tokens of each batch and the time of each optimizer step.
    Returns (speed over the steps after `warmup`, train()'s output). Assumes grad_accum 1."""
    import torch
    from transformers import TrainerCallback

    if trainer.args.gradient_accumulation_steps != 1:
        raise ValueError("train_timed counts one batch per optimizer step: set gradient accumulation to 1")
    stamps: list[float] = []
    tokens: list[tuple[int, int]] = []
    cuda = torch.cuda.is_available()

    class Clock(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if cuda:  # kernels run asynchronously: a step is over when the GPU is done with it
                torch.cuda.synchronize()
            stamps.append(time.perf_counter())

    collate = trainer.data_collator

    def counting(examples):  # dataloader workers: 0, so batch i is collated right before step i
        batch = collate(examples)
        mask = batch.get("attention_mask")  # padding-free batches have none: every token is real
        tokens.append((int(mask.sum()), mask.numel()) if mask is not None else (batch["input_ids"].numel(),) * 2)
        return batch

    trainer.data_collator = counting
    trainer.add_callback(Clock())
    output = trainer.train()
    # Step i ends at stamps[i-1]; the window (stamps[warmup-1], stamps[-1]] holds steps warmup+1..n.
    seconds = stamps[-1] - stamps[warmup - 1]
    window = tokens[warmup:len(stamps)]
    real, total = sum(t[0] for t in window), sum(t[1] for t in window)
    speed = {"steps": len(window), "seconds": seconds, "real_per_s": real / seconds, "total_per_s": total / seconds,
             "s_per_step": seconds / len(window), "real_tokens": real, "batch_tokens": total}
    return speed, output


def tiny_run(out_dir: Path, steps: int = RUN_STEPS) -> Path:
    """Train the tiny recipe for `steps` into `out_dir` (a complete run dir: run.json, model, tokenizer,
    catalogue snapshot) and return it. ~1-2 min on 2 shared cores."""
    from toolrouter.train.recipe import load_recipe
    from toolrouter.train.trainer import train

    recipe = load_recipe(RUN_RECIPE, [f"output_dir={out_dir}", f"training.max_steps={steps}", "training.warmup=10",
                                      f"training.logging_steps={steps}", f"training.save_steps={steps}"])
    start = time.perf_counter()
    train(recipe)
    print(f"built the tiny run {out_dir} ({steps} steps, {time.perf_counter() - start:.0f} s)", flush=True)
    return out_dir


def run_or_build(run: Optional[str], tmp: Path) -> Path:
    """The run dir given with --run, or a tiny one trained now under `tmp`."""
    if run:
        path = Path(run)
        if not (path / "run.json").is_file():
            sys.exit(f"error: --run {run}: no run.json there; pass a run dir written by `toolrouter train` "
                     "(or leave --run out to train a tiny one now)")
        return path
    return tiny_run(tmp / "run")


def describe(loaded) -> str:
    """One line on the model measured: run name, parameters, training steps."""
    params = sum(p.numel() for p in loaded.model.parameters())
    run = loaded.run or {}
    return (f"run {run.get('name', loaded.path)} ({params / 1e6:.1f} M parameters, "
            f"{run.get('global_step', '?')} training steps)")


def gold_conversations(catalogue_name: str, mode: str, n: Optional[int] = None) -> list[list[dict]]:
    """The first `n` cases of evals/<catalogue>.jsonl as conversations (system prompt + request), through
    toolrouter.eval.evaluate's own gold reader, so they are prompted exactly as `toolrouter eval` prompts them."""
    from toolrouter import load_catalogue
    from toolrouter.eval.evaluate import load_gold
    from toolrouter.core.schema import ToolrouterError

    problems: list[str] = []
    cases = load_gold(REPO / "toolrouter" / "evals" / f"{catalogue_name}.jsonl", load_catalogue(catalogue_name), problems)
    if problems:
        raise ToolrouterError("\n".join(problems))
    convs = [case.conversation(mode) for case in cases]
    return convs[:n] if n else convs
