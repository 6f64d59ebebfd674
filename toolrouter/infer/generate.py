"""Batched greedy decoding of router answers, optionally grammar-constrained.

    loaded = load_for_inference("runs/support_router_tiny")      # toolrouter.infer.loading
    convs = [[{"role": "system", "content": loaded.catalogue.render(loaded.mode)},
              {"role": "user", "content": "where is ORD-1234?"}]]
    texts = generate_answers(loaded.model, loaded.tokenizer, convs, catalogue=loaded.catalogue,
                             constrained=True)

Prompts are rendered exactly as in training: the tokenizer's chat template with
`add_generation_prompt=True` (and `tools=` in template mode). The system turn (the catalogue) is the
same for every request, so its KV cache is computed once (PrefixCache) and each batch decodes
after it: [prefix][padding][request] per row, padding masked, positions as in the prompt alone.
Conversations are grouped by system turn and sorted by length, so each batch pads little; a row
that has stopped leaves the batch. Answers come back in input order, decoded as generated: an answer
cut off by `max_new_tokens` is returned cut off, and the parser reports it as `truncated`.
"""
from __future__ import annotations

import json
from typing import Optional, Sequence

from toolrouter.core.catalogue import Catalogue
from toolrouter.core.schema import ToolrouterError

# End-of-turn tokens of common chat templates: generation stops at any of them that the vocab has.
END_OF_TURN = ("<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>", "<|endoftext|>")


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
    for token in END_OF_TURN:
        # One lookup each, not get_vocab(): that builds the whole vocabulary as a dict on every call
        # (151k entries for Qwen's tokenizer). A token the vocab lacks maps to unk (or None): the round
        # trip tells them apart.
        tid = tokenizer.convert_tokens_to_ids(token)
        if isinstance(tid, int) and tokenizer.convert_ids_to_tokens(tid) == token and tid not in ids:
            ids.append(tid)
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


class PrefixCache:
    """The KV cache of shared prompt prefixes (the system turn with the catalogue, and the tool list
    in template mode) for one model, computed once and reused by every later batch and call.

    A prefix is a tuple of token ids; its cache is computed with one batch-1 forward the first time
    it is asked for and kept (the `max_entries` most recently used; a server routing with one
    catalogue needs one). generate_answers copies it into each batch, so decoding never writes into
    the stored tensors. Thread-safe: computing an entry holds a lock. Give a Router one and every
    request after the first skips the catalogue: with a tokenizer that reads it, car_control's JSON
    catalogue is 2,040 of a request's 2,058 prompt tokens (benchmarks/results/prefix_cache.json)."""

    def __init__(self, model, max_entries: int = 4):
        import threading

        self.model, self.max_entries = model, max_entries
        self.entries: dict[tuple, list] = {}  # prefix ids -> [(keys, values) per layer], oldest first
        self.system_ids: dict = {}  # (tokenizer, system turn, tools) -> its tokens (_prefix_lengths' memo)
        self.hits = self.misses = 0
        self._lock = threading.Lock()

    def layers(self, prefix: tuple) -> list:
        """[(keys, values)] per layer for `prefix`, each (1, kv_heads, len(prefix), head_dim)."""
        import torch
        from transformers import DynamicCache

        with self._lock:
            if prefix in self.entries:
                self.hits += 1
                self.entries[prefix] = self.entries.pop(prefix)  # most recently used last
                return self.entries[prefix]
            self.misses += 1
            device = next(self.model.parameters()).device
            cache = DynamicCache(config=self.model.config)
            with torch.inference_mode():
                self.model(input_ids=torch.tensor([prefix], device=device), cache=cache, use_cache=True,
                           logits_to_keep=1)
            layers = [(layer.keys, layer.values) for layer in cache.layers]
            self.entries[prefix] = layers
            while len(self.entries) > self.max_entries:
                self.entries.pop(next(iter(self.entries)))
            return layers


# Shorter shared prefixes are not worth a cache copy per batch: a training run's own tokenizer makes
# the whole system prompt one token (train/tiny.py `whole=`), leaving ~5 prefix tokens.
MIN_PREFIX_TOKENS = 16


def _supports_prefix_cache(model) -> bool:
    """Full attention in every layer: a sliding-window layer would drop the prefix it was given."""
    config = model.config.get_text_config(decoder=True)
    return not getattr(config, "use_sliding_window", False) and all(
        t == "full_attention" for t in (getattr(config, "layer_types", None) or ["full_attention"]))


def _prefix_lengths(tokenizer, conversations: Sequence[list], per_tools: list, encoded: list,
                    memo: Optional[dict] = None) -> list[int]:
    """How many leading tokens of each prompt are its system turn (with the template's tool list):
    the longest common token prefix of the prompt and its system turn rendered alone, so whatever
    the template writes, the cached tokens are exactly the prompt's own. 0 without a system turn.
    `memo` keeps the system turns' tokens across calls (PrefixCache.system_ids): a stale entry can
    only shorten the common prefix, never put a token in it that the prompt does not have."""
    memo = {} if memo is None else memo
    if len(memo) > 64:
        memo.clear()
    lengths = []
    for conv, tools, ids in zip(conversations, per_tools, encoded):
        if not conv or conv[0].get("role") != "system":
            lengths.append(0)
            continue
        key = (id(tokenizer), conv[0].get("content"), json.dumps(tools, sort_keys=True) if tools else None)
        if key not in memo:
            try:
                text = tokenizer.apply_chat_template([conv[0]], tools=tools, add_generation_prompt=False,
                                                     tokenize=False)
            except Exception:  # a template that insists on a user turn: no prefix, the uncached path
                text = ""
            memo[key] = tokenizer(text, add_special_tokens=False)["input_ids"] if text else []
        system = memo[key]
        n = 0
        for a, b in zip(system, ids[:-1]):  # at least one token stays for the first forward step
            if a != b:
                break
            n += 1
        lengths.append(n)
    return lengths


def generate_answers(model, tokenizer, conversations: Sequence[list], tools=None, max_new_tokens: int = 128,
                     batch_size: int = 32, catalogue: Optional[Catalogue] = None, constrained: bool = False,
                     progress: bool = False, prefix_cache=True, fmt=None,
                     grammars: Optional[Sequence] = None) -> list[str]:
    """Greedy answers for `conversations` (message lists ending with the user turn), in input order.

    Each row stops at EOS/end-of-turn or after `max_new_tokens`. `tools` is per conversation (or one
    list for all) and goes to the chat template (template mode). With `constrained=True` every token
    is masked by the catalogue's answer grammar (the answer format `fmt`'s, default the JSON
    envelope's), so a finished answer always parses; one cut off by `max_new_tokens` is returned as it
    is. `grammars` (with constrained=True) gives each conversation its own compiled grammar instead
    (compile_grammar, same tokenizer): the server's per-request tool subsets. Returns the decoded
    answers without special tokens.

    `prefix_cache`: True (default) computes each distinct system turn (>= 16 tokens) once for this
    call and reuses its KV cache in every batch; a PrefixCache keeps it across calls (Router does);
    False encodes every prompt whole (the reference path: the answers are the same token for token,
    tests/test_prefix_cache.py). Conversations are grouped by system turn, sorted by length within a
    group and cut into batches of `batch_size`."""
    if grammars is not None and len(grammars) != len(conversations):
        raise ToolrouterError(f"grammars: {len(grammars)} for {len(conversations)} conversations; give one each")
    if constrained and catalogue is None and grammars is None:
        raise ToolrouterError("constrained decoding needs the catalogue: pass catalogue=")
    if batch_size < 1 or max_new_tokens < 1:
        raise ToolrouterError(f"batch_size ({batch_size}) and max_new_tokens ({max_new_tokens}) must be >= 1")
    if not conversations:
        return []
    per_tools = _per_conversation_tools(tools, len(conversations))
    prompts = render_prompts(tokenizer, conversations, per_tools)
    # The chat template writes the special tokens itself (BOS included, if any).
    encoded = tokenizer(prompts, add_special_tokens=False)["input_ids"]
    stops = stop_token_ids(tokenizer, model)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else stops[0]
    if prefix_cache is True:
        prefix_cache = PrefixCache(model) if _supports_prefix_cache(model) else None
    elif prefix_cache is not None and prefix_cache is not False and prefix_cache.model is not model:
        raise ToolrouterError("prefix_cache belongs to another model; make one PrefixCache per model")
    lengths = (_prefix_lengths(tokenizer, conversations, per_tools, encoded, prefix_cache.system_ids)
               if prefix_cache else [0] * len(encoded))
    compiled = None
    if constrained:
        from toolrouter.formats.grammar import compile_grammar

        compiled = grammars if grammars is not None else compile_grammar(
            catalogue, tokenizer, vocab_size=_vocab_size(model, tokenizer), stop_token_ids=stops,
            ebnf=fmt.grammar(catalogue) if fmt is not None else None)
    # Group by shared prefix (none when short), then longest first within a group: batches of similar
    # length pad little, and an out-of-memory shows up at once.
    groups: dict[tuple, list[int]] = {}
    for i, (ids, n) in enumerate(zip(encoded, lengths)):
        groups.setdefault(tuple(ids[:n]) if n >= MIN_PREFIX_TOKENS else (), []).append(i)
    answers: list[Optional[str]] = [None] * len(encoded)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(encoded), desc="generating", unit="ex")
    for prefix, members in groups.items():
        members.sort(key=lambda i: -len(encoded[i]))
        for start in range(0, len(members), batch_size):
            rows = members[start:start + batch_size]
            suffixes = [encoded[i][len(prefix):] for i in rows]
            layers = prefix_cache.layers(prefix) if prefix else None
            grammar = [compiled[i] for i in rows] if grammars is not None else compiled
            tokens = _greedy(model, prefix, suffixes, layers, pad_id, stops, max_new_tokens, grammar)
            for i, text in zip(rows, tokenizer.batch_decode(tokens, skip_special_tokens=True)):
                answers[i] = text
            if bar is not None:
                bar.update(len(rows))
    if bar is not None:
        bar.close()
    return answers


# A forward call costs about as much as this many more prompt tokens (measured on this CPU, tiny run, 1
# thread: a 26-token prefill 2.5 ms at batch 1, 34 ms at batch 32, so ~1.5 ms a call and ~0.04 ms a token).
# Unmeasured on GPUs, where padding is nearly free until the batch is large: there one call as before.
PREFILL_CALL_TOKENS = 40


# Stopped rows leave the batch (a copy of the cache) once 1/LEAVE_AT of it has stopped. Measured (tiny
# run, bf16, 128 gold cases in batches of 32, median of 4): never 898 ms, a half 765, a quarter 740,
# an eighth 774, at every stop 764: leaving matters, when is within the noise.
LEAVE_AT = 4


def _prefill_parts(lengths: list[int], call_tokens: Optional[int]) -> list[tuple[int, int]]:
    """Cut rows sorted longest first into consecutive parts [(start, stop)], each prefilled as one
    forward padded to its longest row: the cut that minimises padded tokens + `call_tokens` per
    call (a dynamic programme over the cut points). None: one part."""
    n = len(lengths)
    if call_tokens is None or n <= 1:
        return [(0, n)]
    best, cut = [0] + [None] * n, [0] * (n + 1)
    for stop in range(1, n + 1):
        for start in range(stop):
            cost = best[start] + (stop - start) * lengths[start] + call_tokens
            if best[stop] is None or cost < best[stop]:
                best[stop], cut[stop] = cost, start
    parts, stop = [], n
    while stop:
        parts.append((cut[stop], stop))
        stop = cut[stop]
    return parts[::-1]


def _greedy(model, prefix: tuple, suffixes: list[list[int]], prefix_layers, pad_id: int, stops: list[int],
            max_new_tokens: int, compiled=None) -> list[list[int]]:
    """Greedy decoding of one batch: [prefix (its KV `prefix_layers`, PrefixCache.layers, or None)]
    [padding] [suffix] per row, so the shared prefix sits at the same place in every row and each
    row's positions are its own (0, 1, ... with no gap), exactly as in the prompt alone. Returns each
    row's new tokens, its stop token included.

    Written out instead of `model.generate` for measured reasons (benchmarks/bench_eval.py):
      - the prompt is prefilled in parts of similar length (_prefill_parts) that write into one
        cache (kvcache.RowWindow): prompts of 10 to 56 tokens padded to 56 made the prefill 2x.
        The parts are within ~15% of one unpadded call (gold batches of 32, tiny run: 36.9 ms a batch
        vs 32.3 for 32 x 27 tokens); packing the prompts several to a sequence (one call, block-diagonal
        mask, keys scattered into the rows) was measured slower, 39.9 ms;
      - the attention mask over the whole buffer (prefix, each row's prompt, every answer position)
        is built once; with sdpa it goes in as the 4-D mask, so no step rebuilds it;
      - rows that have stopped leave the batch once a quarter of it has (LEAVE_AT; generate computes
        every row until the longest answer ends, and one run-on answer in a batch of 32 made the
        batch ~4x slower).
    The arithmetic is generate's greedy search: float32 logits of the last position, the grammar
    processor, argmax (tests/test_prefix_cache.py checks the tokens against generate's)."""
    import torch

    from toolrouter.infer.kvcache import preallocated_cache, row_window, set_length, windowed

    device = next(model.parameters()).device
    rows, n_prefix = len(suffixes), len(prefix)
    # Longest first (generate_answers sorts them): each prefill part is a run of consecutive rows, a
    # view of the cache's buffer.
    if any(len(a) < len(b) for a, b in zip(suffixes, suffixes[1:])):
        raise ValueError("_greedy: suffixes must come longest first")
    width = len(suffixes[0])
    end = n_prefix + width  # the prompt columns; answers are written from here on
    capacity = end + max_new_tokens
    # One mask for the whole buffer: the prefix, each row's prompt right-aligned, every answer position.
    mask = torch.zeros((rows, capacity), dtype=torch.bool)
    mask[:, :n_prefix] = True
    mask[:, end:] = True
    for r, suffix in enumerate(suffixes):
        mask[r, end - len(suffix):end] = True
    padded = bool(not mask.all())
    mask = mask.to(device)
    # Without padding (batch 1, or rows of one length) the mask says nothing: leaving it out lets
    # attention take its unmasked path (what generate does too). sdpa takes the prepared 4-D mask
    # as it is; other attention implementations get the 2-D one and build theirs.
    sdpa = getattr(model.config, "_attn_implementation", None) == "sdpa"
    step_mask = (mask[:, None, None, :] if sdpa else mask) if padded else None
    positions = torch.tensor([n_prefix + len(s) for s in suffixes], device=device)  # each answer's first

    processor = None
    if compiled is not None:
        from toolrouter.formats.grammar import logits_processor

        # Keeps per-row matcher state for the whole batch: it always sees every row (finished rows
        # feed it the pad token and it ignores them), so its row indices never shift.
        processor = logits_processor(compiled, max_new_tokens)
        last = torch.full((rows, 1), pad_id, dtype=torch.long)
        scores_all = None
    stop_set = torch.tensor(stops, device=device)
    live = torch.arange(rows, device=device)  # batch row -> row
    active = [True] * rows  # per batch row: still answering (a stopped row stays until compaction)
    out: list[list[int]] = [[] for _ in range(rows)]
    with torch.inference_mode():
        # Sized for the prompt and the whole answer budget: each step writes in place (infer/kvcache.py).
        cache = preallocated_cache(model, rows, capacity, prefix_layers)
        parts = _prefill_parts([len(s) for s in suffixes], PREFILL_CALL_TOKENS if device.type == "cpu" else None)
        if not windowed(cache):  # a sliding-window layer: one call, as transformers' own cache
            parts = [(0, rows)]
        logits = []
        for start, stop in parts:
            part_width = len(suffixes[start])
            ids = torch.full((stop - start, part_width), pad_id, dtype=torch.long)
            for r, suffix in enumerate(suffixes[start:stop]):
                ids[r, part_width - len(suffix):] = torch.tensor(suffix, dtype=torch.long)
            part_mask = mask[start:stop, :end]
            # Positions count real tokens only (what generate derives from the mask); padding gets 0.
            part_positions = (part_mask.long().cumsum(-1) - 1).masked_fill(~part_mask, 0)[:, end - part_width:]
            part_cache = cache if len(parts) == 1 else row_window(cache, start, stop, end - part_width, n_prefix)
            logits.append(model(input_ids=ids.to(device), attention_mask=part_mask.long() if padded else None,
                                position_ids=part_positions, cache=part_cache, use_cache=True,
                                logits_to_keep=1).logits[:, -1, :].float())
        logits = torch.cat(logits)
        if len(parts) > 1:
            set_length(cache, end)
        for step in range(max_new_tokens):
            if processor is not None:
                # The processor indexes rows by their place in the original batch.
                if scores_all is None or scores_all.shape[-1] != logits.shape[-1]:
                    scores_all = torch.zeros((rows, logits.shape[-1]), dtype=logits.dtype, device=device)
                scores_all[live] = logits
                logits = processor(last, scores_all)[live]
            chosen = logits.argmax(-1)
            done = torch.isin(chosen, stop_set).tolist()
            for b, (row, token) in enumerate(zip(live.tolist(), chosen.tolist())):
                if active[b]:
                    out[row].append(token)
                    active[b] = not done[b]
            if processor is not None:
                last[live.cpu(), 0] = chosen.cpu()
            if step + 1 == max_new_tokens:
                break
            finished = active.count(False)
            if finished == len(active):
                break
            if finished and finished * LEAVE_AT >= len(active):
                keep = torch.tensor([b for b, a in enumerate(active) if a], device=device)
                cache.batch_select_indices(keep)
                live, chosen, positions = live[keep], chosen[keep], positions[keep]
                if step_mask is not None:
                    step_mask = step_mask[keep]
                active = [True] * len(keep)
            columns = end + step + 1  # the cache's length after this step's token
            logits = model(input_ids=chosen[:, None], position_ids=positions[:, None],
                           attention_mask=None if step_mask is None else step_mask[..., :columns],
                           cache=cache, use_cache=True, logits_to_keep=1).logits[:, -1, :].float()
            positions = positions + 1
    return out
