"""Question 7, the shared-prefix KV cache: routing latency and throughput with the catalogue's KV
cache computed once (infer.generate.PrefixCache) vs every request encoding its whole prompt.

    .venv/bin/python benchmarks/bench_prefix_cache.py             # ~3-4 min on one shared core
    .venv/bin/python benchmarks/bench_prefix_cache.py --n 8       # fewer requests per catalogue and mode

A tokenizer that reads the catalogue (bench_prompt.shared_tokenizer: BPE trained on both catalogues in
every mode, so car_control's JSON prompt is ~2,000 tokens) and a random Qwen2-shaped model (4 layers
x 256, grouped KV heads), in float32 and then bfloat16. For compact and json mode of support_router
and car_control: one Router with the prefix cache (the default) and one without, constrained decoding
(routing's default), max_new_tokens 32 (about a real answer's length, as in gpu.py: a random model
never stops by itself, the grammar closes its answer within the budget), the first --n gold requests
of evals/<catalogue>.jsonl.

Why float32 first: only there is "identical" a property of the cache alone. In bfloat16 this CPU's
matmuls round differently with the shape of the input (a 2,000-token prompt vs its 20-token suffix),
as they do between batch 1 and batch 32 without any cache (bench_eval's "answers identical batched
and one at a time"), so a few greedy answers flip either way; the bf16 rows count them.

  batch 1    router.answer_texts([request]), one request at a time, the two routers alternating
             request by request (load drift hits both); p50 latency and examples/s. The first
             request of each is a warm-up (it also computes the prefix: reported separately).
  batched    router.answer_texts(all requests) at batch 8, once each way: examples/s.
  identical  every answer of the cached router equals the uncached router's, batch 1 and batched.
"""
from __future__ import annotations

import argparse
import json
import time

from common import REPO, figure, percentile, quiet, set_threads, write_result

CATALOGUES = ("support_router", "car_control")
MODES = ("compact", "json")
TARGET = 3.0  # car_control json, batch 1: cached >= 3x uncached examples/s
MAX_NEW_TOKENS = 32


def random_qwen2(tokenizer, dtype, layers: int = 4, hidden: int = 256, positions: int = 4096):
    """Qwen2's architecture at a CPU-friendly size, random weights."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    config = Qwen2Config(vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=hidden * 11 // 4,
                         num_hidden_layers=layers, num_attention_heads=hidden // 64, num_key_value_heads=2,
                         max_position_embeddings=positions, tie_word_embeddings=True, use_sliding_window=False,
                         eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(0)
    return Qwen2ForCausalLM(config).to(dtype).eval()


def gold_requests(name: str, n: int) -> list[str]:
    lines = (REPO / "toolrouter" / "evals" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["prompt"] for line in lines if line.strip() and "prompt" in json.loads(line)][:n]


def measure(model, tokenizer, name: str, mode: str, n: int, batch: int) -> dict:
    from toolrouter import load_catalogue
    from toolrouter.serve.router import Router

    catalogue = load_catalogue(name)
    cached = Router(model, tokenizer, catalogue, mode=mode, max_new_tokens=MAX_NEW_TOKENS, batch_size=batch)
    plain = Router(model, tokenizer, catalogue, mode=mode, max_new_tokens=MAX_NEW_TOKENS, batch_size=batch,
                   prefix_cache=False)
    requests = gold_requests(name, n + 1)
    t0 = time.perf_counter()
    cached.answer_texts(requests[:1])  # warm-up; computes the prefix
    first_s = time.perf_counter() - t0
    plain.answer_texts(requests[:1])
    ms = {"cached": [], "plain": []}
    answers = {"cached": [], "plain": []}
    for request in requests[1:]:
        for key, router in (("plain", plain), ("cached", cached)):
            t = time.perf_counter()
            answers[key] += router.answer_texts([request])
            ms[key].append(1000 * (time.perf_counter() - t))
    batched_s, batched = {}, {}
    for key, router in (("plain", plain), ("cached", cached)):
        t = time.perf_counter()
        batched[key] = router.answer_texts(requests[1:])
        batched_s[key] = time.perf_counter() - t
    prompt = tokenizer.apply_chat_template(cached.messages(requests[1]), add_generation_prompt=True, tokenize=False)
    [prefix] = cached.prefix_cache.entries
    out = {"prompt_tokens": len(tokenizer(prompt, add_special_tokens=False)["input_ids"]), "prefix_tokens": len(prefix),
           "first_request_ms": 1000 * first_s, "n": len(requests) - 1,
           "identical_batch1": sum(a == b for a, b in zip(answers["cached"], answers["plain"])),
           "identical_batched": sum(a == b for a, b in zip(batched["cached"], batched["plain"]))}
    for key in ("plain", "cached"):
        out[key] = {"p50_ms": percentile(ms[key], 50), "examples_per_s": len(ms[key]) / (sum(ms[key]) / 1000),
                    f"batch{batch}_examples_per_s": out["n"] / batched_s[key]}
    out["speedup"] = out["cached"]["examples_per_s"] / out["plain"]["examples_per_s"]
    out["speedup_batched"] = out["cached"][f"batch{batch}_examples_per_s"] / out["plain"][f"batch{batch}_examples_per_s"]
    out["identical"] = out["identical_batch1"] == out["n"] and out["identical_batched"] == out["n"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--n", type=int, default=16, help="timed requests per catalogue and mode (default 16)")
    parser.add_argument("--batch-size", type=int, default=8, help="batch of the batched figure (default 8)")
    parser.add_argument("--dtypes", nargs="+", default=["float32", "bfloat16"],
                        help="model dtypes, the first one gives the headline rows (default float32 bfloat16)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1: see benchmarks/README.md)")
    args = parser.parse_args()
    quiet()
    set_threads(args.threads)
    started = time.time()
    from bench_prompt import shared_tokenizer

    import torch

    from toolrouter.infer.loading import inference_dtype

    tokenizer = shared_tokenizer()
    figures, table, notes = [], {}, []
    for dtype_name in args.dtypes:
        dtype = getattr(torch, dtype_name)
        model = random_qwen2(tokenizer, dtype)
        headline = dtype_name == args.dtypes[0]
        for name in CATALOGUES:
            for mode in MODES:
                r = measure(model, tokenizer, name, mode, args.n, args.batch_size)
                key, b = f"{name}_{mode}", args.batch_size
                table[f"{dtype_name}_{key}"] = r
                print(f"  {dtype_name} {key}: {r['prompt_tokens']} prompt tokens ({r['prefix_tokens']} cached); batch 1 "
                      f"{r['plain']['examples_per_s']:.2f} -> {r['cached']['examples_per_s']:.2f} ex/s; batch {b} "
                      f"{r['plain'][f'batch{b}_examples_per_s']:.2f} -> "
                      f"{r['cached'][f'batch{b}_examples_per_s']:.2f}; identical {r['identical']}", flush=True)
                same = f"{r['identical_batch1'] + r['identical_batched']}/{2 * r['n']}"
                if not headline:
                    figures += [
                        figure(f"{dtype_name}_{key}_speedup", f"{dtype_name}, {name} {mode}: batch 1 examples/s, cached / "
                               "uncached", round(r["speedup"], 1), "x"),
                        figure(f"{dtype_name}_{key}_identical", f"{dtype_name}, {name} {mode}: answers identical, cached vs "
                               "uncached", same, "")]
                    continue
                target = dict(target=f">= {TARGET:g}x", met=r["speedup"] >= TARGET) if key == "car_control_json" else {}
                figures += [
                    figure(f"{key}_speedup", f"{name} {mode} ({r['prompt_tokens']} prompt tokens, {r['prefix_tokens']} "
                           f"cached): batch 1 examples/s, cached / uncached", round(r["speedup"], 1), "x", **target),
                    figure(f"{key}_p50", f"{name} {mode}: batch 1 p50 latency, uncached -> cached",
                           f"{r['plain']['p50_ms']:.0f} -> {r['cached']['p50_ms']:.0f}", "ms"),
                    figure(f"{key}_speedup_batched", f"{name} {mode}: batch {b} examples/s, cached / uncached",
                           round(r["speedup_batched"], 1), "x"),
                    figure(f"{key}_identical", f"{name} {mode}: answers identical, cached vs uncached", same, "",
                           target="all", met=r["identical"]),
                ]
        params = sum(p.numel() for p in model.parameters())
        del model
    notes = [f"model: random Qwen2-shaped, 4 layers x 256 ({params / 1e6:.1f} M parameters); rows without a dtype are "
             f"{args.dtypes[0]}, then {', '.join(args.dtypes[1:]) or 'nothing else'} (the CPU inference dtype here is "
             f"{str(inference_dtype('cpu')).replace('torch.', '')}); tokenizer: {len(tokenizer)}-token BPE that reads the "
             f"catalogue; constrained decoding, max_new_tokens {MAX_NEW_TOKENS}; torch threads {args.threads}.",
             "batch 1 = one Router.answer_texts call per request, the cached and uncached routers alternating; the "
             "prefix is computed by each router's first (warm-up) request: first_request_ms in per_mode."]
    write_result("prefix_cache", "7. Shared-prefix KV cache: routing with the catalogue encoded once vs per request",
                 f"benchmarks/bench_prefix_cache.py --n {args.n} --dtypes {' '.join(args.dtypes)}", figures, started, notes,
                 extra={"per_mode": {k: {**v, "speedup": round(v["speedup"], 2)} for k, v in table.items()}})


if __name__ == "__main__":
    main()
