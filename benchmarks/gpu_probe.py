"""Why decoding is slow on a GPU at small batch: a probe, run once on one H200 (2026-11-30) beside gpu.py.

    python3 benchmarks/gpu_probe.py        # ~1 min on one H100/H200; needs CUDA (exits 0 without)

Prints, for Qwen2.5-0.5B's shape (random bf16 weights): the launch cost of a tiny kernel, a pure-Python
loop (the host CPU's speed), one eager forward step at batch 1 and 32 with a torch.profiler table
(CPU time vs GPU time), the same batch-1 step replayed as a CUDA graph, and transformers' generate
for 32 tokens eager vs static cache + torch.compile. Measured there (benchmarks/results/README.md's
GPU notes): tiny kernel 5.9 us; eager step 18.7 ms at batch 1 with the GPU busy ~2.1 ms of it (4,060
launches for 5 steps: the host is the bottleneck); CUDA graph replay 2.5 ms (7.4x); generate 481 ms
eager vs 107 ms static + compile (4.5x, 19 s to compile). It writes nothing.
"""
import sys
import time

import torch

if not torch.cuda.is_available():
    print("benchmarks/gpu_probe.py: no CUDA device here; nothing measured.", file=sys.stderr)
    sys.exit(0)


def per_call_us(fn, n: int) -> float:
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(n):
        fn()
    torch.cuda.synchronize()
    return (time.perf_counter() - start) / n * 1e6


x = torch.ones(16, device="cuda")
print(f"tiny add launch: {per_call_us(lambda: x.add_(1), 20000):.1f} us")
start, total = time.perf_counter(), 0
for i in range(3_000_000):
    total += i
print(f"python loop 3M: {time.perf_counter() - start:.3f} s")

from transformers import AutoModelForCausalLM, Qwen2Config  # noqa: E402

config = Qwen2Config(vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
                     num_attention_heads=14, num_key_value_heads=2, tie_word_embeddings=True,
                     eos_token_id=151935, pad_token_id=0)
model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16).cuda().eval()
one = torch.randint(0, 1000, (1, 1), device="cuda")
with torch.no_grad():
    print(f"forward b1 len1 (no cache): {per_call_us(lambda: model(one), 50) / 1000:.2f} ms")
    batch = torch.randint(0, 1000, (32, 1), device="cuda")
    print(f"forward b32 len1: {per_call_us(lambda: model(batch), 50) / 1000:.2f} ms")
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        for _ in range(5):
            model(one)
        torch.cuda.synchronize()
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12))
    graph, side = torch.cuda.CUDAGraph(), torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):  # warm-up on a side stream before capture, as torch's docs do
        for _ in range(3):
            model(one)
    torch.cuda.current_stream().wait_stream(side)
    with torch.cuda.graph(graph):
        model(one)
    print(f"forward b1 CUDA graph replay: {per_call_us(graph.replay, 50) / 1000:.2f} ms")

# transformers' generate, eager vs a static cache (which generate compiles with torch.compile)
prompt = torch.randint(1, 1000, (1, 300), device="cuda")


def generate_s(**kw) -> float:
    torch.cuda.synchronize()
    start = time.perf_counter()
    model.generate(prompt, max_new_tokens=32, min_new_tokens=32, do_sample=False, **kw)
    torch.cuda.synchronize()
    return time.perf_counter() - start


generate_s()
print(f"eager generate b1 32 tok: {generate_s() * 1000:.0f} ms", flush=True)
print(f"static first (compile): {generate_s(cache_implementation='static'):.1f} s", flush=True)
generate_s(cache_implementation="static")
print(f"static generate b1 32 tok: {generate_s(cache_implementation='static') * 1000:.0f} ms", flush=True)
