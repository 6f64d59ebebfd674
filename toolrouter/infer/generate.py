"""Batched greedy decoding of router answers, optionally grammar-constrained, and model loading.

    loaded = load_for_inference("runs/support_router_tiny")      # run dir, adapter dir, model dir or hub id
    convs = [[{"role": "system", "content": loaded.catalogue.render(loaded.mode)},
              {"role": "user", "content": "where is ORD-1234?"}]]
    texts = generate_answers(loaded.model, loaded.tokenizer, convs, catalogue=loaded.catalogue,
                             constrained=True)

Prompts are rendered exactly as in training: the tokenizer's chat template with
`add_generation_prompt=True` (and `tools=` in template mode). Conversations are sorted by prompt
length and cut into batches, so each batch pads little; left padding keeps every row's last prompt
token at the same position, which is where generation continues, with the KV cache. Answers come
back in input order, decoded as generated: an answer cut off by `max_new_tokens` is returned cut
off, and the parser reports it as `truncated`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

from toolrouter.core.catalogue import MODES, Catalogue, load_catalogue
from toolrouter.core.schema import ToolrouterError

# End-of-turn tokens of common chat templates: generation stops at any of them that the vocab has.
END_OF_TURN = ("<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>", "<|endoftext|>")
WHAT_TO_PASS = ("pass a run directory (runs/<name>, written by `toolrouter train`), a PEFT adapter "
                "directory, a model directory with config.json, or a Hub model id")


@dataclass
class Loaded:
    """A model ready for generate_answers, plus what its run dir says about prompting it."""

    model: Any
    tokenizer: Any
    catalogue: Optional[Catalogue] = None
    mode: Optional[str] = None
    run: Optional[dict] = None
    path: str = ""


# ---------------------------------------------------------------------------------------------
# loading

def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ToolrouterError(f"{path}: not readable JSON ({e}); it is written by `toolrouter train`") from None
    if not isinstance(data, dict):
        raise ToolrouterError(f"{path}: expected a JSON object")
    return data


def _read_run(run_dir: Path) -> tuple[dict, Catalogue, str]:
    run = _read_json(run_dir / "run.json")
    mode = run.get("mode")
    if mode not in MODES:
        raise ToolrouterError(f"{run_dir / 'run.json'}: key 'mode' is {mode!r}; expected one of {', '.join(MODES)}")
    snapshot = run_dir / "catalogue.json"
    if not snapshot.is_file():
        raise ToolrouterError(f"run {run_dir} has no catalogue.json (the snapshot of the tools it was trained on); "
                              "retrain, or copy it from the catalogue with `toolrouter catalogue export`")
    catalogue = load_catalogue(snapshot)
    catalogue.name = run.get("catalogue") or catalogue.name
    expected = run.get("catalogue_sha256")
    if expected and catalogue.fingerprint() != expected:
        raise ToolrouterError(f"{snapshot}: its tools do not match run.json's catalogue_sha256 (the snapshot was "
                              "edited after training); restore it or retrain the run")
    return run, catalogue, mode


def _resolve_base(adapter_dir: Path, base: Optional[str], run: Optional[dict]) -> str:
    """Where an adapter's base model is: the run's `base_dir` (the scratch base saved in the run),
    the adapter's base path as written (absolute, or relative to the working directory, the adapter
    dir or its parent), `<adapter dir>/base`, or else `base` as a Hub id."""
    candidates = [adapter_dir / run["base_dir"]] if run and run.get("base_dir") else []
    if base:
        candidates += [Path(base), adapter_dir / base, adapter_dir.parent / base]
    candidates.append(adapter_dir / "base")
    for candidate in candidates:
        if (candidate / "config.json").is_file():
            return str(candidate)
    if not base:
        raise ToolrouterError(f"{adapter_dir / 'adapter_config.json'}: no base_model_name_or_path; "
                              "set it to the base model's directory or Hub id")
    return base


def _looks_local(text: str) -> bool:
    """A missing path we should not try on the Hub (offline, the Hub client retries for ~45 s):
    absolute, ./ ../ ~, runs/..., deeper than org/name, or under a directory that exists here."""
    return (text.startswith(("/", ".", "~", "runs/")) or text.count("/") > 1 or "\\" in text
            or ("/" in text and Path(text.split("/")[0]).is_dir()))


def inference_dtype(device: str):
    """bf16 on CUDA (fp16 where the GPU lacks bf16). On CPU, bf16 where the CPU has bf16 instructions
    (AVX512-BF16/AMX), else fp32. Measured on this kind of machine (AVX512-BF16, 1 thread), the trained
    support_router tiny run (2 x 256) on the 141-case gold set, constrained: bf16 91 vs fp32 81
    examples/s at batch 32, 25 vs 27 at batch 1; random-init, same shape: 62 vs 44 at batch 32.
    Batched eval is the common case, so bf16."""
    import torch

    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    native = any(getattr(torch.cpu, name, lambda: False)()
                 for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"))
    return torch.bfloat16 if device == "cpu" and native else torch.float32


def load_for_inference(path, device: Optional[str] = None) -> Loaded:
    """Load a model and tokenizer for generation from a run dir (run.json + catalogue.json + a full
    model or a PEFT adapter), an adapter dir (base from adapter_config.json), a full model dir, or a
    Hub id. The catalogue and prompt mode come from the run dir (None otherwise). Any failure is a
    ToolrouterError naming the path and what to pass instead."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    text = str(path)
    where = Path(text).expanduser()
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    dtype = inference_dtype(device)
    run = catalogue = mode = None
    if not where.exists() and _looks_local(text):
        raise ToolrouterError(f"model path {text} does not exist; {WHAT_TO_PASS}")
    if where.is_dir():
        if (where / "run.json").is_file():
            run, catalogue, mode = _read_run(where)
        elif (where / "catalogue.json").is_file():
            catalogue = load_catalogue(where / "catalogue.json")
        is_adapter = (where / "adapter_config.json").is_file()
        if not is_adapter and not (where / "config.json").is_file():
            raise ToolrouterError(f"{text}: no model in this directory (neither adapter_config.json nor "
                                  f"config.json); {WHAT_TO_PASS}")
    else:
        is_adapter = False
    try:
        if is_adapter:
            from peft import PeftModel

            base = _resolve_base(where, _read_json(where / "adapter_config.json").get("base_model_name_or_path")
                                 or (run or {}).get("base_model"), run)
            model = AutoModelForCausalLM.from_pretrained(base, dtype=dtype, trust_remote_code=False)
            # Merged LoRA weights decode as fast as the base: no adapter matmuls per step.
            model = PeftModel.from_pretrained(model, str(where)).merge_and_unload()
            has_tokenizer = any((where / f).is_file() for f in ("tokenizer.json", "tokenizer_config.json"))
            tokenizer = AutoTokenizer.from_pretrained(str(where) if has_tokenizer else base, trust_remote_code=False)
        else:
            model = AutoModelForCausalLM.from_pretrained(text, dtype=dtype, trust_remote_code=False)
            tokenizer = AutoTokenizer.from_pretrained(text, trust_remote_code=False)
    except ToolrouterError:
        raise
    except Exception as e:  # transformers/peft/hub errors come in many types; name the path either way
        first = str(e).strip().splitlines()[0][:300] if str(e).strip() else type(e).__name__
        raise ToolrouterError(f"could not load a model from {text}: {first}; {WHAT_TO_PASS}") from None
    model.to(device).eval()
    return Loaded(model=model, tokenizer=tokenizer, catalogue=catalogue, mode=mode, run=run, path=text)


# ---------------------------------------------------------------------------------------------
# generation

def stop_token_ids(tokenizer, model=None) -> list[int]:
    """Token ids that end an answer: EOS, the model's configured EOS ids, and the end-of-turn
    tokens of common chat templates present in the vocabulary."""
    ids: list[int] = []
    configured = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    for tid in [tokenizer.eos_token_id, *(configured if isinstance(configured, list) else [configured])]:
        if isinstance(tid, int) and tid not in ids:
            ids.append(tid)
    vocab = tokenizer.get_vocab()
    for token in END_OF_TURN:
        if token in vocab and vocab[token] not in ids:
            ids.append(vocab[token])
    if not ids:
        raise ToolrouterError("the tokenizer has no EOS token and no known end-of-turn token; set tokenizer.eos_token")
    return ids


def _per_conversation_tools(tools, n: int) -> list:
    """`tools` is None, one OpenAI tool list for every conversation, or one list (or None) each."""
    if not tools:  # None or []
        return [None] * n
    if all(isinstance(t, dict) for t in tools):
        return [list(tools)] * n
    if len(tools) != n:
        raise ToolrouterError(f"tools: {len(tools)} tool lists for {n} conversations; give one per "
                              "conversation (or None), or a single list for all")
    return list(tools)


def render_prompts(tokenizer, conversations: Sequence[list], tools=None) -> list[str]:
    """The prompt text of each conversation, exactly as training rendered it, ready for the answer."""
    per = _per_conversation_tools(tools, len(conversations))
    if tokenizer.chat_template is None:
        raise ToolrouterError("the tokenizer has no chat template; use the run's tokenizer (saved in the run dir)")
    return [tokenizer.apply_chat_template(list(conv), tools=t, add_generation_prompt=True, tokenize=False)
            for conv, t in zip(conversations, per)]


def _vocab_size(model, tokenizer) -> int:
    """Logits width: the output embedding rows, which may exceed the tokenizer (padded vocab)."""
    out = model.get_output_embeddings()
    return int(out.weight.shape[0]) if out is not None else len(tokenizer)


def generate_answers(model, tokenizer, conversations: Sequence[list], tools=None, max_new_tokens: int = 128,
                     batch_size: int = 32, catalogue: Optional[Catalogue] = None, constrained: bool = False,
                     progress: bool = False, grammars: Optional[Sequence] = None) -> list[str]:
    """Greedy answers for `conversations` (message lists ending with the user turn), in input order.

    Batched with left padding and the KV cache; each row stops at EOS/end-of-turn or after
    `max_new_tokens`. `tools` is per conversation (or one list for all) and goes to the chat
    template (template mode). With `constrained=True` every token is masked by the catalogue's
    answer grammar (toolrouter.formats.grammar), so a finished answer always parses; one cut off by
    `max_new_tokens` is returned as it is. `grammars` (with constrained=True) gives each conversation
    its own compiled grammar instead (compile_grammar, same tokenizer): the server's per-request
    tool subsets. Returns the decoded answers without special tokens."""
    import torch
    from transformers import GenerationConfig, LogitsProcessorList

    if grammars is not None and len(grammars) != len(conversations):
        raise ToolrouterError(f"grammars: {len(grammars)} for {len(conversations)} conversations; give one each")
    if constrained and catalogue is None and grammars is None:
        raise ToolrouterError("constrained decoding needs the catalogue: pass catalogue=")
    if batch_size < 1 or max_new_tokens < 1:
        raise ToolrouterError(f"batch_size ({batch_size}) and max_new_tokens ({max_new_tokens}) must be >= 1")
    if not conversations:
        return []
    prompts = render_prompts(tokenizer, conversations, tools)
    # The chat template writes the special tokens itself (BOS included, if any).
    encoded = tokenizer(prompts, add_special_tokens=False)["input_ids"]
    stops = stop_token_ids(tokenizer, model)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else stops[0]
    # transformers fills every setting left unset from the model's own generation_config (Qwen2.5's
    # asks for sampling and repetition_penalty=1.05): pin the ones that change greedy decoding.
    config = GenerationConfig(max_new_tokens=max_new_tokens, do_sample=False, num_beams=1, use_cache=True,
                              eos_token_id=stops, pad_token_id=pad_id, temperature=1.0, top_p=1.0, top_k=50,
                              typical_p=1.0, repetition_penalty=1.0, no_repeat_ngram_size=0)
    compiled = None
    if constrained:
        from toolrouter.formats.grammar import compile_grammar, logits_processor

        compiled = grammars if grammars is not None else compile_grammar(catalogue, tokenizer, vocab_size=_vocab_size(model, tokenizer),
                                   stop_token_ids=stops)
    device = next(model.parameters()).device
    # Longest first: batches of similar length pad little, and an out-of-memory shows up at once.
    order = sorted(range(len(encoded)), key=lambda i: -len(encoded[i]))
    answers: list[Optional[str]] = [None] * len(encoded)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(encoded), desc="generating", unit="ex")
    for start in range(0, len(order), batch_size):
        rows = order[start:start + batch_size]
        width = max(len(encoded[i]) for i in rows)
        ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for r, i in enumerate(rows):
            ids[r, width - len(encoded[i]):] = torch.tensor(encoded[i], dtype=torch.long)
            mask[r, width - len(encoded[i]):] = 1
        # A grammar processor keeps per-row matcher state and is spent after one generate() call.
        grammar = [compiled[i] for i in rows] if grammars is not None else compiled
        processors = LogitsProcessorList([logits_processor(grammar, max_new_tokens)]) if constrained else None
        with torch.inference_mode():
            out = model.generate(input_ids=ids.to(device), attention_mask=mask.to(device),
                                 generation_config=config, logits_processor=processors)
        texts = tokenizer.batch_decode(out[:, width:].tolist(), skip_special_tokens=True)
        for i, text in zip(rows, texts):
            answers[i] = text
        if bar is not None:
            bar.update(len(rows))
    if bar is not None:
        bar.close()
    return answers
