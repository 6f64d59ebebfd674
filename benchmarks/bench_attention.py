"""The attention kernel the tiny base trains with on CPU: transformers' sdpa (its default) against eager,
in one run, same rows, same starting weights (recipe.ModelConfig.attention; `auto` picks eager there).

    .venv/bin/python benchmarks/bench_attention.py --threads 2     # ~2 min on 2 idle cores
    .venv/bin/python benchmarks/bench_attention.py --steps 100     # a shorter window

The trainer is toolrouter.train.trainer.build_trainer on the tiny recipe (support_router_tiny: baked prompts, bf16
autocast where the CPU has it) at the shape and batch the recorded figures were taken on (LAYERS, BATCH: 3 x 256,
batch 16; 2 x 256 read 1.35x too), on --rows generated rows. Each kernel
trains --steps steps from the same seed; seconds a step are timed after --warmup steps (common.train_timed).
The logged loss at the end says whether the kernel changed what is learned, not only the speed.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from common import figure, quiet, set_threads, train_timed, workdir, write_result

RECIPE = "support_router_tiny"
LAYERS, BATCH = 3, 16  # the setup of results/attention.json (the recipe ships 2 layers at batch 24)


def measure(out: Path, attention: str, steps: int, rows: int, warmup: int) -> dict:
    from toolrouter.train.recipe import load_recipe
    from toolrouter.train.trainer import build_trainer

    recipe = load_recipe(RECIPE, [f"output_dir={out / attention}", f"data.n={rows}", f"training.max_steps={steps}",
                                  f"model.attention={attention}", f"training.logging_steps={steps // 4}",
                                  f"model.tiny.layers={LAYERS}", f"training.batch_size={BATCH}",
                                  f"training.save_steps={steps * 10}"])
    trainer, info = build_trainer(recipe)
    assert info["attention"] == attention, info["attention"]
    speed, _ = train_timed(trainer, warmup)
    losses = [e["loss"] for e in trainer.state.log_history if "loss" in e]
    print(f"{attention}: {speed['s_per_step'] * 1000:.1f} ms a step, loss {losses[-1]:.4f}", flush=True)
    return {"ms_per_step": speed["s_per_step"] * 1000, "real_per_s": speed["real_per_s"], "loss": losses[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--rows", type=int, default=6000, help="data.n: rows generated for the run")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--keep", help="keep the runs here instead of a temporary directory")
    args = parser.parse_args()
    quiet()
    threads = set_threads(args.threads)
    started = time.time()
    with workdir(args.keep) as tmp:
        sdpa = measure(tmp, "sdpa", args.steps, args.rows, args.warmup)
        eager = measure(tmp, "eager", args.steps, args.rows, args.warmup)
    figures = [
        figure("sdpa_ms_per_step", "sdpa (transformers' default): ms a training step", round(sdpa["ms_per_step"], 1), "ms"),
        figure("eager_ms_per_step", "eager: ms a training step", round(eager["ms_per_step"], 1), "ms"),
        figure("speedup", "eager's steps a second / sdpa's", round(sdpa["ms_per_step"] / eager["ms_per_step"], 2), "x"),
        figure("sdpa_loss", f"sdpa: logged loss at step {args.steps}", round(sdpa["loss"], 4)),
        figure("eager_loss", f"eager: logged loss at step {args.steps}", round(eager["loss"], 4)),
    ]
    write_result("attention", "The tiny base's attention kernel on CPU: training steps a second, sdpa vs eager",
                 f"benchmarks/bench_attention.py --steps {args.steps} --rows {args.rows} --threads {threads}",
                 figures, started,
                 notes=[f"{RECIPE}, {LAYERS} layers, batch {BATCH}, {threads} torch thread(s); same rows and starting weights for both"])


if __name__ == "__main__":
    main()
