"""GPU benchmark of the `support_router` shape: Qwen2.5-0.5B's architecture (random weights, scratch
tokenizer) trained with the shipped LoRA and QLoRA recipes, then evaluated and routed. One CUDA GPU, bf16.

    .venv/bin/python benchmarks/gpu.py                  # ~4-6 min on one H100/H200 (budget: < 8)
    .venv/bin/python benchmarks/gpu.py --steps 100 --peak-tflops 989
    .venv/bin/python benchmarks/gpu.py --dry-run        # any machine: every code path on a tiny shape, ~1-2 min
                                                        # on CPU; prints the figures, writes nothing

Without CUDA (and without --dry-run) it prints why and exits 0, measuring nothing.

No Hub access is assumed: the Qwen2Config is written by hand from Qwen2.5-0.5B's published numbers
(hidden 896, 24 layers, 14 heads, 2 KV heads, MLP 4864, vocab 151,936, tied embeddings, rope theta 1e6),
the weights are random and the tokenizer is toolrouter.train.tiny's BPE trained on the rows (~1k tokens, so the
prompts have about the length Qwen's tokenizer gives them; the other 150k rows of the embedding are
there, as in the real model, and cost what they cost in the LM head). Speed and memory do not depend
on what the weights are.

  training   toolrouter.train.trainer.build_trainer on recipes/support_router.yaml (LoRA r16, all projections,
             batch 16) and support_router_qlora.yaml (the same over a 4-bit NF4 base, activation
             checkpointing on), model.base = the random model, each with training.packing none and
             padding_free (which decides `auto` on CUDA); real tokens/s after warm-up steps, model FLOPs
             utilisation, peak memory.
  eval       generate_answers on the support_router gold prompts at batch 1 / 32 / 128; random weights
             never emit an end token, so every answer runs to 32 new tokens, about a real answer's length.
  routing    Router.route p50/p95 over the LoRA run dir, constrained (the default), one request at a time,
             with the prefix cache (the default) and without; batched routing throughput (batch 32) both ways.
  serving    `toolrouter serve` (the real process) under 32 concurrent clients vs one request at a time:
             requests/s and p50/p95/p99 latency (bench_serve.py's load generator).

MFU = (6 x matmul parameters + 12 x layers x hidden x sequence) FLOPs per real token x tokens/s / peak
bf16 dense FLOP/s (PaLM's model-FLOPs definition; with LoRA the frozen weights get no weight gradient,
so the GPU does ~2/3 of that work).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from common import (REPO, figure, gold_conversations, percentile, quiet, train_timed, workdir, write_result)

# bf16 dense peak FLOP/s by device name (spec sheets; SXM parts). Other GPUs: pass --peak-tflops.
PEAK_TFLOPS = {"H200": 989.0, "H100": 989.0, "A100": 312.0, "L40S": 362.0, "A10G": 125.0, "L4": 121.0}
NEW_TOKENS = 32


def qwen25_05b_config(tokenizer):
    """Qwen2.5-0.5B's architecture, by hand (its config.json values)."""
    from transformers import Qwen2Config

    return Qwen2Config(
        vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
        num_attention_heads=14, num_key_value_heads=2, hidden_act="silu", max_position_embeddings=32768,
        rms_norm_eps=1e-6, rope_theta=1000000.0, tie_word_embeddings=True, use_sliding_window=False,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
    )


def build_base(out: Path, make_config=qwen25_05b_config) -> Path:
    """A random-init model of the config's shape + a scratch tokenizer, saved where model.base can point."""
    import json

    import torch
    from transformers import AutoModelForCausalLM

    from toolrouter import load_catalogue
    from toolrouter.data.pipeline import build_dataset
    from toolrouter.train.tiny import build_tokenizer

    catalogue = load_catalogue("support_router")
    rows = build_dataset(catalogue, n=1000, robust=True).splits["train"]
    texts = [m["content"] for row in rows for m in row["messages"]] + [json.dumps(catalogue.to_openai())]
    tokenizer = build_tokenizer(texts, vocab_size=1024)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(make_config(tokenizer), dtype=torch.bfloat16)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def flops_per_token(config, seq: float) -> float:
    """Training FLOPs per token: 6 x matmul parameters (the LM head included, tied or not) + attention."""
    h, layers, kv = config.hidden_size, config.num_hidden_layers, config.num_key_value_heads
    head_dim = h // config.num_attention_heads
    per_layer = 2 * h * h + 2 * h * kv * head_dim + 3 * h * config.intermediate_size  # q,o + k,v + gate,up,down
    matmul_params = layers * per_layer + h * config.vocab_size
    return 6 * matmul_params + 12 * layers * h * seq


def train_recipe(name: str, base: Path, out: Path, steps: int, warmup: int, packing: str = "none"):
    """(speed, peak GiB, trainer, info, output) for a shipped recipe over the random base."""
    import gc

    import torch

    from toolrouter.train.recipe import load_recipe
    from toolrouter.train.trainer import build_trainer

    recipe = load_recipe(name, [f"model.base={base}", f"output_dir={out}", f"training.max_steps={steps + warmup}",
                                "training.warmup=0", "training.eval_steps=null", "training.save_steps=1000000",
                                f"training.logging_steps={steps + warmup}", f"training.packing={packing}"])
    gc.collect()  # the previous recipe's model, before its memory is released and the peak is reset
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    trainer, info = build_trainer(recipe)
    speed, output = train_timed(trainer, warmup)
    peak = torch.cuda.max_memory_allocated() / 2**30 if torch.cuda.is_available() else float("nan")
    return recipe, speed, peak, trainer, info, output


def eval_throughput(base: Path, batch_sizes=(1, 32, 128)) -> dict:
    """examples/s of generate_answers at each batch size (batch 1 on 32 prompts, larger ones on 256)."""
    import torch

    from toolrouter.infer.generate import generate_answers
    from toolrouter.infer.loading import load_for_inference

    loaded = load_for_inference(base)
    convs = gold_conversations("support_router", "compact")
    convs = (convs * (256 // len(convs) + 1))[:256]
    out = {}
    for batch in batch_sizes:
        subset = convs[:32] if batch == 1 else convs
        generate_answers(loaded.model, loaded.tokenizer, subset[:batch], max_new_tokens=NEW_TOKENS,
                         batch_size=batch)  # warm-up
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        start = time.perf_counter()
        generate_answers(loaded.model, loaded.tokenizer, subset, max_new_tokens=NEW_TOKENS, batch_size=batch)
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        out[batch] = len(subset) / (time.perf_counter() - start)
        print(f"  eval batch {batch}: {out[batch]:.1f} examples/s", flush=True)
    del loaded
    return out


def route_latency(run_dir: Path, n: int = 30) -> dict:
    """Router.route p50/p95 one request at a time and batch-32 throughput, with the prefix cache and
    without (the two alternate request by request), and whether the answers are the same."""
    import json

    from toolrouter import Router

    router = Router.load(run_dir, constrained=True, max_new_tokens=48)
    cache = router.prefix_cache
    gold = (REPO / "toolrouter" / "evals" / "support_router.jsonl").read_text(encoding="utf-8").splitlines()
    requests = [json.loads(line)["prompt"] for line in gold if line.strip() and "prompt" in json.loads(line)][:n]
    router.route(requests[0])  # warm-up (grammar compile, first allocations, the prefix)
    out = {way: {"ms": [], "answers": []} for way in ("cached", "uncached")}
    for request in requests:
        for way in ("uncached", "cached"):
            router.prefix_cache = cache if way == "cached" else False
            start = time.perf_counter()
            out[way]["answers"].append(router.answer_texts([request])[0])
            out[way]["ms"].append(1000 * (time.perf_counter() - start))
    for way in ("uncached", "cached"):
        router.prefix_cache = cache if way == "cached" else False
        batch = (requests * (64 // len(requests) + 1))[:64]
        start = time.perf_counter()
        router.answer_texts(batch)
        out[way]["batched_per_s"] = len(batch) / (time.perf_counter() - start)
        ms, answers = out[way].pop("ms"), out[way]["answers"]
        out[way].update(p50_ms=percentile(ms, 50), p95_ms=percentile(ms, 95), answer_tokens=sum(
            len(router.tokenizer(a, add_special_tokens=False)["input_ids"]) for a in answers) / len(answers))
    same = sum(a == b for a, b in zip(out["cached"].pop("answers"), out["uncached"].pop("answers")))
    out["identical"] = f"{same}/{len(requests)}"
    return out


def serve_load(run_dir: Path, clients: int = 32, requests: int = 256, sequential: int = 32) -> dict:
    """`toolrouter serve` (the real process, on this GPU) under `clients` concurrent clients against the
    same requests one at a time: bench_serve's load generator and figures, over the LoRA run dir."""
    import json
    import signal

    from bench_serve import free_port, load, start_server

    tools = json.loads((run_dir / "catalogue.json").read_text())
    gold = (REPO / "toolrouter" / "evals" / "support_router.jsonl").read_text(encoding="utf-8").splitlines()
    prompts = [json.loads(line)["prompt"] for line in gold if line.strip() and "prompt" in json.loads(line)]
    port = free_port()
    proc, model = start_server(run_dir, port, 4, clients, run_dir / "server.log")
    try:
        def bodies(n: int) -> list:
            return [json.dumps({"model": model, "tools": tools, "messages": [
                {"role": "user", "content": prompts[i % len(prompts)]}]}).encode() for i in range(n)]

        load(port, bodies(clients), clients)  # warm-up: grammar compile, first batch shapes
        one = load(port, bodies(sequential), 1)
        many = load(port, bodies(requests), clients)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
    return {"sequential": one, "concurrent": many, "clients": clients}


def tiny_config(tokenizer):
    """Qwen2's architecture at a size a CPU runs in seconds: what --dry-run measures."""
    from transformers import Qwen2Config

    return Qwen2Config(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                       num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=4096,
                       tie_word_embeddings=True, use_sliding_window=False, bos_token_id=tokenizer.bos_token_id,
                       eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)


def measure(steps: int, peak_tflops, make_config=qwen25_05b_config, batch_sizes=(1, 32, 128), route_n: int = 30,
            serve_requests: int = 256) -> tuple:
    """Every figure: (figures, notes, details). `make_config` and `batch_sizes` are parameters so the code
    path can be exercised on a small shape; main() runs it on Qwen2.5-0.5B's. A stage that fails is
    reported in the notes and the others still run: a GPU is lent for minutes, not to be lost to one error."""
    import traceback
    import torch
    from transformers import AutoTokenizer

    from toolrouter.train.trainer import finish_run

    cuda = torch.cuda.is_available()
    name = torch.cuda.get_device_name(0) if cuda else "cpu"
    peak = peak_tflops or next((v for k, v in PEAK_TFLOPS.items() if k in name), None)
    warmup = 3
    figures, details = [], {}
    with workdir() as tmp:
        base = build_base(tmp / "base", make_config)
        config = make_config(AutoTokenizer.from_pretrained(base))
        run_dir, failed = None, []

        def failure(stage: str) -> None:
            traceback.print_exc()
            failed.append(f"{stage} failed: {traceback.format_exc().strip().splitlines()[-1][:300]}")

        for recipe_name, label, packing in (("support_router", "LoRA", "none"), ("support_router", "LoRA", "padding_free"),
                                            ("support_router_qlora", "QLoRA", "none"),
                                            ("support_router_qlora", "QLoRA", "padding_free")):
            try:
                recipe, speed, peak_gib, trainer, info, output = train_recipe(
                    recipe_name, base, tmp / f"{recipe_name}_{packing}", steps, warmup, packing)
            except Exception:
                failure(f"{label} packing={packing}")
                continue
            seq = speed["real_tokens"] / (speed["steps"] * recipe.training.batch_size)
            mfu = flops_per_token(config, seq) * speed["real_per_s"] / (peak * 1e12) if peak else None
            trainable = sum(p.numel() for p in trainer.model.parameters() if p.requires_grad)
            print(f"  {label} packing={packing}: {speed['real_per_s']:,.0f} real tokens/s, {peak_gib:.1f} GiB peak",
                  flush=True)
            key, label = f"{label.lower()}_{packing}", f"{label}, packing={packing}"
            figures += [
                figure(f"{key}_tokens_per_s", f"{label} training: real tokens/s (batch {recipe.training.batch_size}, "
                       f"{speed['steps']} steps)", round(speed["real_per_s"]), "tok/s"),
                figure(f"{key}_mfu", f"{label} training: model FLOPs utilisation"
                       + ("" if peak else " (unknown GPU peak: pass --peak-tflops)"),
                       round(100 * mfu, 1) if mfu is not None else None, "%"),
                figure(f"{key}_peak_memory", f"{label} training: peak GPU memory allocated", round(peak_gib, 2), "GiB"),
            ]
            details[key] = {**speed, "trainable_params": trainable, "mean_seq": seq,
                            "gradient_checkpointing": recipe.training.gradient_checkpointing}
            if run_dir is None and recipe_name == "support_router":
                finish_run(trainer, recipe, info, output)  # a complete run dir, for the routing figure
                run_dir = recipe.run_dir
            del trainer, info, output
            if cuda:
                torch.cuda.empty_cache()

        try:
            rates = eval_throughput(base, batch_sizes)
            figures += [figure(f"eval_b{b}", f"eval examples/s, batch {b} ({NEW_TOKENS} new tokens each)",
                               round(r, 1), "ex/s") for b, r in rates.items()]
        except Exception:
            failure("eval throughput")
        route = None
        try:
            route = route_latency(run_dir, n=route_n)
            for way in ("cached", "uncached"):
                r = route[way]
                figures += [figure(f"route_p50_{way}", f"route() p50, constrained, one request at a time, prefix {way}",
                                   round(r["p50_ms"], 1), "ms"),
                            figure(f"route_p95_{way}", f"route() p95, prefix {way}", round(r["p95_ms"], 1), "ms"),
                            figure(f"route_batched_{way}", f"routing throughput, batch 32, prefix {way}",
                                   round(r["batched_per_s"], 1), "req/s")]
            details["route"] = route
        except Exception:
            failure("routing")
        try:
            from bench_serve import phase_figures

            served = serve_load(run_dir, requests=serve_requests, sequential=min(32, serve_requests))
            clients = served["clients"]
            figures += phase_figures(served["sequential"], served["concurrent"], clients, who="toolrouter serve: ")
            figures.append(figure("serve_throughput_ratio", f"toolrouter serve: requests/s, {clients} concurrent "
                                  "/ one at a time", round(served["concurrent"]["rps"] / served["sequential"]["rps"], 2),
                                  "x"))
            details["serve"] = {k: served[k]["kinds"] for k in ("sequential", "concurrent")}
        except (Exception, SystemExit):
            failure("toolrouter serve")

    notes = [f"{name}; bf16; random weights of Qwen2.5-0.5B's shape ({config.num_hidden_layers} layers, hidden "
             f"{config.hidden_size}), scratch tokenizer; peak used for MFU: {peak} TFLOPS.",
             "QLoRA runs with activation checkpointing (as its recipe ships), LoRA without: compare memory, not "
             "speed alone.",
             "toolrouter serve: the real server process on this GPU (torch threads 4, --max-batch 32), requests "
             "from 32 keep-alive clients (bench_serve.py's load generator) against the same requests one at a time."]
    if route:
        notes.append(f"Routing answers are up to 48 tokens of grammar-valid JSON from random weights (mean "
                     f"{route['cached']['answer_tokens']:.0f} tokens); answers identical with and without the "
                     f"prefix cache: {route['identical']}.")
    return figures, notes + failed, details


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--steps", type=int, default=30, help="timed optimizer steps per recipe (default 30)")
    parser.add_argument("--peak-tflops", type=float, help="the GPU's bf16 dense peak, for MFU (default: by name)")
    parser.add_argument("--dry-run", action="store_true",
                        help="run every code path on a tiny Qwen2 shape (2 steps, CPU is fine); print, write nothing")
    args = parser.parse_args()
    import torch

    if args.dry_run:
        quiet()
        from common import set_threads

        set_threads(1)
        figures, notes, details = measure(2, args.peak_tflops or 1.0, make_config=tiny_config, batch_sizes=(1, 4),
                                          route_n=3, serve_requests=8)
        for row in figures:
            print(f"  {row['label']}: {row['value']} {row['unit']}")
        for note in notes:
            print(f"  note: {note}")
        print("gpu.py --dry-run: every step ran; nothing was written (figures from a tiny model on "
              f"{'cuda' if torch.cuda.is_available() else 'cpu'} mean nothing)")
        return 0
    if not torch.cuda.is_available():
        print("benchmarks/gpu.py: no CUDA device here (torch.cuda.is_available() is False), so nothing was measured. "
              "Run it on a machine with an NVIDIA GPU and a CUDA build of torch; its results then join "
              "benchmarks/results/README.md.", file=sys.stderr)
        return 0
    quiet()
    started = time.time()
    figures, notes, details = measure(args.steps, args.peak_tflops)
    write_result("gpu", "GPU: support_router shape (Qwen2.5-0.5B config) LoRA/QLoRA training, eval, routing",
                 f"benchmarks/gpu.py --steps {args.steps}", figures, started, notes, extra={"details": details})
    from table import write_table

    write_table()
    return 0


if __name__ == "__main__":
    sys.exit(main())
