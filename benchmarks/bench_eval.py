"""Question 2, eval throughput: examples/s of generate_answers batched (32) vs one at a time, and
how close that ratio comes to the model's own floor.

    .venv/bin/python benchmarks/bench_eval.py                          # trains a tiny run first (~1-2 min)
    .venv/bin/python benchmarks/bench_eval.py --run runs/support_router_tiny --n 128

Same model, same gold prompts (the first --n cases of evals/support_router.jsonl, prompted as
`toolrouter eval` prompts them), greedy, unconstrained (eval's default), max_new_tokens from the run.
Batched = what `toolrouter eval` does (prompts sorted by length, left padding, KV cache);
one at a time = the same function with batch_size=1. The two alternate chunk by chunk (32 cases
batched, then the same 32 one at a time), so a shared CPU's load drift hits both; a warm-up call is
excluded.

The floor: one forward step of the same model (one new token per row over a KV cache as long as the
mean prompt, what every decoding step is) timed at batch 1 and at batch 32, median of 30 steps each.
32 x t(batch 1) / t(batch 32) is the most batching can give (the floor ratio); batched eval is reported
as a fraction of it (target >= 0.8). The same ratio over the mean context a decoding step really sees
(mean prompt + half the mean answer) is reported beside it, not used for the target: attention grows
with the cache, and bf16 attention on CPU costs ~13 us per cached token per layer at batch 32.
Also beside it, not used for the target: the floor ratio with the prefill, 32 x (p1 + a x t1) / (p32 + a x t32)
with p the prefill of the mean prompt (unpadded) and a the mean answer length: every answer pays one
prefill, and a prefill is compute-bound, so batching speeds it up ~2x where a decoding step gains ~12x.
That ratio is what a perfect batch (no padding, no tail, no time outside the model) would reach.

Beside them, not used for the target: examples/s of one batched call over all --n cases, as `toolrouter
eval` calls generate_answers (its batches are cut from all the prompts sorted by length, not 32 at a time).

Also beside the target: --large-n cases (default 256: the gold cases cycled, so the 141 gold
prompts repeat; a call of 64 is two batches, and its tail dominates) in one call at batch 32, as
`toolrouter eval` makes it: with slot refill (a freed row takes the next prompt, generate._decode),
against the same prompts sorted by length and cut into calls of 32 (batch after batch: what
generate did before refill, each batch running until its longest answer ends) and against one at
a time; speedups as fractions of both floors, decoding steps and rows per step for each.

Where the rest goes, measured by one more batched pass with every forward call timed: the prefill
(in parts of similar length, generate._prefill_parts), decoding steps (a batch runs until its longest
answer ends, with fewer rows once some have stopped; steps at the batch's padded width), and time
outside the model.
"""
from __future__ import annotations

import argparse
import time

from common import describe, figure, gold_conversations, quiet, run_or_build, set_threads, workdir, write_result

TARGET = 10.0  # batched >= 10x one at a time
FLOOR_TARGET = 0.8  # batched/one-at-a-time >= 0.8 of the forward-step floor ratio


def step_time(model, batch: int, context: int, steps: int = 30) -> float:
    """Median seconds of one decoding forward step (batch rows, one token each, `context` cached tokens)."""
    import statistics

    import torch
    from transformers import DynamicCache

    torch.manual_seed(0)
    cache = DynamicCache(config=model.config)
    vocab = model.config.vocab_size
    times = []
    with torch.inference_mode():
        model(input_ids=torch.randint(0, vocab, (batch, context)), cache=cache, use_cache=True, logits_to_keep=1)
        for i in range(steps + 3):
            ids = torch.randint(0, vocab, (batch, 1))
            positions = torch.full((batch, 1), context + i)
            t = time.perf_counter()
            model(input_ids=ids, position_ids=positions, cache=cache, use_cache=True, logits_to_keep=1).logits.float()
            times.append(time.perf_counter() - t)
    return statistics.median(times[3:])


def prefill_time(model, batch: int, context: int, runs: int = 10) -> float:
    """Median seconds of one prefill forward: `batch` rows of `context` tokens, no padding, into an
    empty cache, the last position's logits (what every batch pays once before its first step)."""
    import statistics

    import torch
    from transformers import DynamicCache

    torch.manual_seed(0)
    ids = torch.randint(0, model.config.vocab_size, (batch, context))
    times = []
    with torch.inference_mode():
        for _ in range(runs + 2):
            cache = DynamicCache(config=model.config)
            t = time.perf_counter()
            model(input_ids=ids, cache=cache, use_cache=True, logits_to_keep=1).logits.float()
            times.append(time.perf_counter() - t)
    return statistics.median(times[2:])


def refill_figures(loaded, answer, n: int, batch_size: int, floor: float, bound: float) -> list[dict]:
    """The one-call measurement over `n` gold cases cycled: refill (one call) vs batch after batch (calls of
    `batch_size`, prompts sorted by length as generate sorts them) vs one at a time, alternated twice so a
    shared CPU's load drift hits all three alike."""
    from toolrouter.infer.generate import render_prompts

    gold = gold_conversations(loaded.catalogue.name, loaded.mode)
    convs = [gold[i % len(gold)] for i in range(n)]
    tools = loaded.catalogue.template_tools(loaded.mode)
    tools = [tools] * n if tools else None
    lengths = [len(loaded.tokenizer(p, add_special_tokens=False)["input_ids"])
               for p in render_prompts(loaded.tokenizer, convs, tools)]
    order = sorted(range(n), key=lambda i: -lengths[i])  # generate_answers' own order (stable)

    def refill():
        return answer(batch_size, convs, tools)

    def batch_after_batch():
        out = [None] * n
        for start in range(0, n, batch_size):
            rows = order[start:start + batch_size]
            for i, text in zip(rows, answer(batch_size, [convs[i] for i in rows], [tools[i] for i in rows] if tools else None)):
                out[i] = text
        return out

    seconds = {"refill": 0.0, "batches": 0.0, "single": 0.0}
    half = n // 2
    for rep in range(2):
        t = time.perf_counter()
        refilled = refill()
        seconds["refill"] += (time.perf_counter() - t) / 2
        t = time.perf_counter()
        batched = batch_after_batch()
        seconds["batches"] += (time.perf_counter() - t) / 2
        part = slice(0, half) if rep == 0 else slice(half, n)
        t = time.perf_counter()
        single = (single if rep else []) + answer(1, convs[part], tools[part] if tools else None)
        seconds["single"] += time.perf_counter() - t
    steps = {name: where_the_time_goes(loaded.model, run) for name, run in
             (("refill", refill), ("batches", batch_after_batch))}
    speedup = seconds["single"] / seconds["refill"]
    per_step = {k: f"{v['decode_steps']} ({v['decode_rows'] / max(1, v['decode_steps']):.1f})" for k, v in steps.items()}
    return [
        figure("large_n", f"cases for the one-call measurement (the {len(gold)} gold cases cycled)", n, "cases"),
        figure("large_examples_per_s_refill", f"examples/s, one call over {n} cases, batch {batch_size}, slot refill",
               round(n / seconds["refill"], 1), "ex/s"),
        figure("large_examples_per_s_batches", f"examples/s, the same {n} sorted by length in calls of {batch_size} "
               "(batch after batch)", round(n / seconds["batches"], 1), "ex/s"),
        figure("large_examples_per_s_single", f"examples/s, the same {n} one at a time", round(n / seconds["single"], 1),
               "ex/s"),
        figure("large_refill_gain", "slot refill / batch after batch", round(seconds["batches"] / seconds["refill"], 2),
               "x"),
        figure("large_speedup", f"one call with refill / one at a time ({n} cases)", round(speedup, 1), "x"),
        figure("large_fraction_of_floor", f"one call with refill ({n} cases): speedup / floor ratio (beside the "
               "target, not instead of it)", round(speedup / floor, 2), ""),
        figure("large_fraction_of_floor_with_prefill", f"one call with refill ({n} cases): speedup / floor ratio with "
               "the prefill", round(speedup / bound, 2), ""),
        figure("large_decode_steps", f"decoding steps over {n} cases (rows per step): refill / batch after batch",
               f"{per_step['refill']} / {per_step['batches']}"),
        figure("large_same_answers", f"answers identical with refill and one at a time ({n} cases)",
               f"{sum(a == b for a, b in zip(refilled, single))}/{n}"),
        figure("large_same_answers_batches", f"answers identical with refill and batch after batch ({n} cases)",
               f"{sum(a == b for a, b in zip(refilled, batched))}/{n}"),
    ]


def where_the_time_goes(model, run) -> dict:
    """One more batched pass, each forward call timed: prefill calls (more than one token a row) and
    decoding steps, their rows, and the time outside the model (Python, tokenizing, decoding text)."""
    calls = []
    forward = model.forward

    def timed_forward(*args, **kwargs):
        t = time.perf_counter()
        out = forward(*args, **kwargs)
        calls.append((tuple(kwargs["input_ids"].shape), time.perf_counter() - t))
        return out

    model.forward = timed_forward
    try:
        t = time.perf_counter()
        run()
        total = time.perf_counter() - t
    finally:
        del model.forward  # back to the class's method
    prefill = [c for c in calls if c[0][1] > 1]
    decode = [c for c in calls if c[0][1] == 1]
    return {"total": total, "prefill_s": sum(c[1] for c in prefill), "prefill_calls": len(prefill),
            "decode_s": sum(c[1] for c in decode), "decode_steps": len(decode),
            "decode_rows": sum(c[0][0] for c in decode), "outside_s": total - sum(c[1] for c in calls)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--run", help="a run dir to measure (default: train a tiny one in a temp dir)")
    parser.add_argument("--n", type=int, default=64, help="gold cases (default 64: two full batches of 32)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--large-n", type=int, default=256,
                        help="cases for the one-call measurement with refill (gold cases cycled; 0: skip)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1: see benchmarks/README.md)")
    args = parser.parse_args()
    quiet()
    set_threads(args.threads)
    started = time.time()

    from toolrouter.infer.generate import generate_answers, render_prompts
    from toolrouter.infer.loading import load_for_inference

    with workdir() as tmp:
        run = run_or_build(args.run, tmp)
        loaded = load_for_inference(run, device="cpu")
    max_new = int(loaded.run.get("max_new_tokens") or 128)
    convs = gold_conversations(loaded.catalogue.name, loaded.mode, args.n)
    tools = loaded.catalogue.template_tools(loaded.mode)
    tools = [tools] * len(convs) if tools else None

    def answer(batch_size: int, which: slice):
        return generate_answers(loaded.model, loaded.tokenizer, convs[which], tools=tools[which] if tools else None,
                                max_new_tokens=max_new, batch_size=batch_size)

    def answer_these(batch_size: int, these: list, these_tools):
        return generate_answers(loaded.model, loaded.tokenizer, these, tools=these_tools, max_new_tokens=max_new,
                                batch_size=batch_size)

    answer(args.batch_size, slice(0, 4))  # warm-up: first-call allocations, lazy imports
    # Chunk by chunk, batched then one at a time: load drifting on a shared CPU hits both alike.
    batched, single, batched_s, single_s = [], [], 0.0, 0.0
    for start in range(0, len(convs), args.batch_size):
        chunk = slice(start, start + args.batch_size)
        t0 = time.perf_counter()
        batched += answer(args.batch_size, chunk)
        t1 = time.perf_counter()
        single += answer(1, chunk)
        batched_s, single_s = batched_s + t1 - t0, single_s + time.perf_counter() - t1

    n = len(convs)
    batches = -(-n // args.batch_size)
    # Beside the target, not instead of it: `toolrouter eval` makes one call over the whole gold set, so its
    # batches are cut from all n prompts sorted by length (less padding, and long answers share batches).
    t = time.perf_counter()
    one_call = answer(args.batch_size, slice(0, n))
    one_call_s = time.perf_counter() - t
    parts = where_the_time_goes(loaded.model, lambda: [answer(args.batch_size, slice(start, start + args.batch_size))
                                                       for start in range(0, n, args.batch_size)])
    prompt_tokens = [len(loaded.tokenizer(p, add_special_tokens=False)["input_ids"])
                     for p in render_prompts(loaded.tokenizer, convs, tools)]
    context = round(sum(prompt_tokens) / n)
    t1, tb = step_time(loaded.model, 1, context), step_time(loaded.model, args.batch_size, context)
    floor = args.batch_size * t1 / tb
    answer_tokens = [len(loaded.tokenizer(a, add_special_tokens=False)["input_ids"]) for a in batched]
    decoding = context + round(sum(answer_tokens) / n / 2)
    t1d, tbd = step_time(loaded.model, 1, decoding), step_time(loaded.model, args.batch_size, decoding)
    ratio = single_s / batched_s
    # Beside the target, not instead of it: every answer also pays one prefill, which batching speeds up
    # far less than a decoding step (compute-bound, not call-bound). The best a batch can do end to end is
    # one unpadded prefill and `mean_answer` full-width steps (no tail, no Python):
    mean_answer = sum(answer_tokens) / n
    p1, pb = prefill_time(loaded.model, 1, context), prefill_time(loaded.model, args.batch_size, context)
    bound = args.batch_size * (p1 + mean_answer * t1) / (pb + mean_answer * tb)
    figures = [
        figure("cases", f"gold cases (evals/{loaded.catalogue.name}.jsonl)", n, "cases"),
        figure("answer_tokens_mean", "mean answer length", round(mean_answer, 1), "tokens"),
        figure("examples_per_s_batched", f"examples/s, batch {args.batch_size}", round(n / batched_s, 1), "ex/s"),
        figure("examples_per_s_single", "examples/s, one at a time", round(n / single_s, 1), "ex/s"),
        figure("examples_per_s_one_call", f"examples/s, batch {args.batch_size}, one call over all {n} cases (as "
               "`toolrouter eval` calls it; beside the target, not instead of it)", round(n / one_call_s, 1), "ex/s"),
        figure("speedup", f"batch {args.batch_size} / one at a time", round(ratio, 1), "x",
               target=f">= {TARGET:g}x", met=ratio >= TARGET),
        figure("floor_step_ms", f"forward step floor, batch 1 / batch {args.batch_size} ({context}-token cache)",
               f"{1000 * t1:.2f} / {1000 * tb:.2f}", "ms"),
        figure("floor_ratio", f"floor ratio: {args.batch_size} x t(batch 1) / t(batch {args.batch_size})",
               round(floor, 1), "x"),
        figure("fraction_of_floor", "batched speedup / floor ratio", round(ratio / floor, 2), "",
               target=f">= {FLOOR_TARGET}", met=ratio / floor >= FLOOR_TARGET),
        figure("prefill_ms", f"prefill of the mean prompt ({context} tokens), batch 1 / batch {args.batch_size}",
               f"{1000 * p1:.2f} / {1000 * pb:.1f}", "ms"),
        figure("floor_ratio_with_prefill", f"floor ratio with the prefill: {args.batch_size} x (prefill + mean answer x "
               f"step) at batch 1 / the same at batch {args.batch_size} (the most batching can give end to end; "
               "beside the target, not instead of it)", round(bound, 1), "x"),
        figure("fraction_of_floor_with_prefill", "batched speedup / floor ratio with the prefill",
               round(ratio / bound, 2), ""),
        figure("floor_ratio_decoding", f"floor ratio over a {decoding}-token cache (mean prompt + half the mean "
               "answer: the mean context a decoding step sees)", round(args.batch_size * t1d / tbd, 1), "x"),
        figure("batch_prefill_ms", f"batched: prefill per batch of {args.batch_size} ({parts['prefill_calls']} forward "
               f"calls in {batches} batches)", round(1000 * parts["prefill_s"] / batches, 1), "ms"),
        figure("batch_decode_steps", "batched: decoding steps per batch (rows per step on average)",
               f"{parts['decode_steps'] / batches:.1f} ({parts['decode_rows'] / max(1, parts['decode_steps']):.1f})"),
        figure("batch_decode_step_ms", f"batched: mean decoding step (floor at batch {args.batch_size}: "
               f"{1000 * tb:.2f} ms)", round(1000 * parts["decode_s"] / max(1, parts["decode_steps"]), 2), "ms"),
        figure("batch_outside_ms", "batched: time outside the model per batch (prompts, Python, decoding text)",
               round(1000 * parts["outside_s"] / batches, 1), "ms"),
        figure("same_answers", "answers identical batched and one at a time",
               f"{sum(a == b for a, b in zip(batched, single))}/{n}"),
        figure("same_answers_one_call", "answers identical in one call and one at a time",
               f"{sum(a == b for a, b in zip(one_call, single))}/{n}"),
    ]
    if args.large_n:
        figures += refill_figures(loaded, answer_these, args.large_n, args.batch_size, floor, bound)
    dtype = str(next(loaded.model.parameters()).dtype).replace("torch.", "")
    notes = [f"model: {describe(loaded)}; {dtype} on CPU (loading.inference_dtype), max_new_tokens {max_new}, "
             f"torch threads: {args.threads}."]
    write_result("eval", "2. Eval throughput: generate_answers batched vs one at a time",
                 f"benchmarks/bench_eval.py --n {args.n} --large-n {args.large_n}", figures, started, notes)

if __name__ == "__main__":
    main()
