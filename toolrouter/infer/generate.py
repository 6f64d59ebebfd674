"""Batched greedy decoding of router answers, optionally grammar-constrained.

    loaded = load_for_inference("runs/support_router_tiny")      # toolrouter.infer.loading
    convs = [[{"role": "system", "content": loaded.catalogue.render(loaded.mode)},
              {"role": "user", "content": "where is ORD-1234?"}]]
    texts = generate_answers(loaded.model, loaded.tokenizer, convs, catalogue=loaded.catalogue,
                             constrained=True)

Prompts are rendered exactly as in training: the tokenizer's chat template with
`add_generation_prompt=True` (and `tools=` in template mode). The system turn (the catalogue) is the
same for every request, so its KV cache is computed once (PrefixCache) and every row decodes
after it: [prefix][gap][request][answer] per row, the gap masked, positions as in the prompt alone.
Conversations are grouped by system turn and sorted by length; within a group up to `batch_size`
rows decode together, and when rows stop, the next prompts are prefilled into their places (slot
refill, `_decode`), so a long answer holds up one row, not a whole batch. Answers come back in input
order, decoded as generated: an answer cut off by `max_new_tokens` is returned cut off, and the
parser reports it as `truncated`.
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
    catalogue needs one). generate_answers copies it into each group's cache, so decoding never writes
    into the stored tensors. Thread-safe: computing an entry holds a lock. Give a Router one and every
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
    tests/test_prefix_cache.py). Conversations are grouped by system turn and sorted by length within a
    group; up to `batch_size` rows of a group decode at once, a stopped row's place taken by the next
    waiting prompt (tests/test_slot_refill.py)."""
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
    done = (lambda row: bar.update(1)) if bar is not None else None
    for prefix, members in groups.items():
        members.sort(key=lambda i: -len(encoded[i]))
        suffixes = [encoded[i][len(prefix):] for i in members]
        layers = prefix_cache.layers(prefix) if prefix else None
        grammar = [compiled[i] for i in members] if grammars is not None else compiled
        tokens = _decode(model, prefix, suffixes, layers, pad_id, stops, max_new_tokens, batch_size, grammar, done)
        for i, text in zip(members, tokenizer.batch_decode(tokens, skip_special_tokens=True)):
            answers[i] = text
    if bar is not None:
        bar.close()
    return answers


# A forward call costs about as much as this many more prompt tokens (measured on this CPU, tiny run, 1
# thread: a 26-token prefill 2.5 ms at batch 1, 34 ms at batch 32, so ~1.5 ms a call and ~0.04 ms a token).
# Unmeasured on GPUs, where padding is nearly free until the batch is large: there one call as before.
PREFILL_CALL_TOKENS = 40


# Waiting rows are admitted (slot refill) once 1/LEAVE_AT of the slots are free, and stopped rows leave on
# the same rule once nothing waits. Measured for refill (tiny run, float32, 256 cases in one call, median of
# 5 alternated runs): batch after batch 3086 ms, an eighth 2786, a quarter 2799, a sixteenth 3057, a half
# 3180, at every stop 3724 (each admission is a prefill call); for leaving alone (bf16, 128 cases in batches
# of 32): never 898 ms, a half 765, a quarter 740, an eighth 774, at every stop 764.
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


class _Cohort:
    """Rows admitted into the batch together: one grammar processor for them all, whose step count
    (and so its end-of-budget closing) is theirs. A processor is spent after one run of its rows, so
    every admission gets a fresh one (GrammarLogitsProcessor keeps per-row matcher state by index)."""

    def __init__(self, processor, size: int, pad_id: int):
        import torch

        self.processor, self.size, self.active = processor, size, size
        self.last = torch.full((size, 1), pad_id, dtype=torch.long)  # each row's last token, as it saw them
        self.scores = None  # (size, vocab): rows that have left keep a stale row here, which it ignores


def _decode(model, prefix: tuple, suffixes: list[list[int]], prefix_layers, pad_id: int, stops: list[int],
            max_new_tokens: int, slots: int, compiled=None, on_done=None) -> list[list[int]]:
    """Greedy decoding of one shared-prefix group with slot refill (continuous batching): up to
    `slots` rows decode together; when rows stop, waiting rows take their places. Each row sees
    exactly [prefix (its KV `prefix_layers`, PrefixCache.layers, or None)][its prompt][its answer so
    far]; the columns between are masked, and its positions are its own (0, 1, ... with no gap), as
    in the prompt alone. `suffixes` come longest first and are admitted in that order; `compiled` is
    None, one grammar, or one per row. Returns each row's new tokens, its stop token included;
    `on_done(row)` is called as each row finishes.

    The cache (kvcache.PreallocatedLayer) has one column pointer for the whole batch: every row writes
    its next token at the same column. Admitting rows (`arrange`) moves the live rows to the front of
    the buffer with their filled columns shifted to end at the new pointer (the dead columns behind
    the longest live row dropped, so attention never runs over them), then prefills the newcomers in
    one forward per part of similar length (_prefill_parts) through kvcache.row_window, each
    right-aligned to end at the same pointer. Their first tokens come from that prefill, so the next
    step feeds every row one token at the same column. Rows are admitted when a quarter of the slots
    are free (LEAVE_AT: a prefill call costs ~1.5 ms whatever its rows, a decoding step at batch 32
    ~4 ms), stopped rows leave on the same rule once nothing waits, and the columns are compacted
    whenever the pointer reaches the capacity (prompt + answer budget of the longest row). A model
    with sliding-window layers (not `windowed`) gets no refill: a new batch starts once the last has
    ended, as a plain batch-by-batch loop would.

    Written out instead of `model.generate` for measured reasons (benchmarks/bench_eval.py): prompts
    prefilled in parts (10 to 56 tokens padded to 56 made the prefill 2x), one mask over the buffer
    given to sdpa as 4-D (no step rebuilds it), and rows leaving or refilled instead of a batch
    running until its longest answer ends (one run-on answer in a batch of 32 made it ~4x slower).
    The arithmetic is generate's greedy search: float32 logits of the last position, the grammar
    processor, argmax (tests/test_prefix_cache.py and tests/test_slot_refill.py check the tokens
    against generate's and against one row at a time)."""
    import torch

    from toolrouter.infer.kvcache import preallocated_cache, refill, row_window, windowed

    if any(len(a) < len(b) for a, b in zip(suffixes, suffixes[1:])):
        raise ValueError("_decode: suffixes must come longest first")
    device = next(model.parameters()).device
    n_prefix, total = len(prefix), len(suffixes)
    slots = min(slots, total)
    # A row holds its prompt and at most max_new_tokens - 1 fed-back answer tokens, and the columns are
    # compacted to the longest live row before the pointer passes this: it is enough for every row.
    capacity = n_prefix + len(suffixes[0]) + max_new_tokens
    sdpa = getattr(model.config, "_attn_implementation", None) == "sdpa"
    call_tokens = PREFILL_CALL_TOKENS if device.type == "cpu" else None
    stop_set = torch.tensor(stops, device=device)
    columns = torch.arange(capacity, device=device)
    cache = preallocated_cache(model, slots, capacity, prefix_layers)
    can_refill = windowed(cache)
    out: list[list[int]] = [[] for _ in range(total)]
    queue = 0  # the next row to admit
    # The batch, in cache row order: its rows, which are still answering (a stopped row stays until the
    # next arrange), the first column of each row's own tokens, each row's cohort (grammar only).
    row_of: list[int] = []
    active: list[bool] = []
    start: list[int] = []
    cohort_of: list[Optional[_Cohort]] = []
    local_of: list[int] = []  # each row's index in its cohort
    blocks: list = []  # per cohort in the batch: (cohort, first batch row, end, its rows' indices in the cohort)
    positions = torch.empty(0, dtype=torch.long, device=device)  # of the token fed next
    chosen = torch.empty(0, dtype=torch.long, device=device)  # the token fed next
    length = n_prefix  # columns filled in every row: the next token goes to this column
    step_mask = None

    def pick(logits, spans) -> "torch.Tensor":
        """Greedy tokens for `logits` (rows of the batch from spans' first row), each cohort's rows
        masked by its grammar processor first."""
        if compiled is None:
            return logits.argmax(-1)
        tokens = torch.empty(logits.shape[0], dtype=torch.long, device=device)
        offset = spans[0][1]
        for cohort, a, b, local in spans:
            part = logits[a - offset:b - offset]
            if cohort.active:  # a cohort whose rows have all ended is not asked again: its step count ends
                if b - a == cohort.size:  # every row still here, in order: no scatter
                    part = cohort.processor(cohort.last, part)
                else:
                    if cohort.scores is None:
                        cohort.scores = torch.zeros((cohort.size, logits.shape[-1]), dtype=logits.dtype, device=device)
                    cohort.scores[local] = part
                    part = cohort.processor(cohort.last, cohort.scores)[local]
            tokens[a - offset:b - offset] = part.argmax(-1)
            cohort.last[local.cpu(), 0] = tokens[a - offset:b - offset].cpu()
        return tokens

    def record(tokens, first: int) -> None:
        """Append `tokens` (batch rows from `first` on) to the answers of the rows still answering."""
        stopped = torch.isin(tokens, stop_set).tolist()
        for b, (token, stop) in enumerate(zip(tokens.tolist(), stopped), start=first):
            if active[b]:
                row = row_of[b]
                out[row].append(token)
                if stop or len(out[row]) == max_new_tokens:
                    active[b] = False
                    if cohort_of[b] is not None:
                        cohort_of[b].active -= 1
                    if on_done is not None:
                        on_done(row)

    def arrange(k: int) -> None:
        """Drop the stopped rows, trim the columns to the longest live row, and admit the next `k` rows."""
        nonlocal cache, queue, length, row_of, active, start, cohort_of, local_of, blocks, positions, chosen, step_mask
        keep = [b for b, a in enumerate(active) if a]
        keep_t = torch.tensor(keep, dtype=torch.long, device=device)
        admit = suffixes[queue:queue + k]
        width = max((length - start[b] for b in keep), default=0)
        if can_refill:
            new_length = n_prefix + max(width, len(admit[0]) if admit else 0)
            refill(cache, keep_t, width, new_length, len(keep) + k, n_prefix)
        elif k:  # no windows: new rows only into an empty batch, a cache of their own
            cache = preallocated_cache(model, k, capacity, prefix_layers)
            new_length = n_prefix + len(admit[0])
        else:
            cache.batch_select_indices(keep_t)
            new_length = length
        shift = new_length - length
        row_of = [row_of[b] for b in keep] + list(range(queue, queue + k))
        active = [True] * (len(keep) + k)
        start = [start[b] + shift for b in keep] + [new_length - len(s) for s in admit]
        positions = torch.cat([positions[keep_t], torch.tensor([n_prefix + len(s) for s in admit], device=device)])
        mask = (columns[None, :] < n_prefix) | (columns[None, :] >= torch.tensor(start, device=device)[:, None])
        # Without a gap in any row (batch 1, or rows of one length) the mask says nothing: leaving it out
        # lets attention take its unmasked path (what generate does too). sdpa takes the 4-D mask as it
        # is; other attention implementations, and sliding-window layers (whose cache holds only the
        # window), get the 2-D one and build theirs.
        step_mask = ((mask[:, None, None, :] if sdpa and can_refill else mask) if any(s > n_prefix for s in start)
                     else None)
        cohort = None
        if k and compiled is not None:
            from toolrouter.formats.grammar import logits_processor

            grammar = compiled[queue:queue + k] if isinstance(compiled, list) else compiled
            cohort = _Cohort(logits_processor(grammar, max_new_tokens), k, pad_id)
        cohort_of = [cohort_of[b] for b in keep] + [cohort] * k
        local_of = [local_of[b] for b in keep] + list(range(k))
        blocks = []
        if compiled is not None:  # rows only leave, in order, and newcomers come last: each cohort is one run
            b = 0
            while b < len(cohort_of):
                e = b
                while e < len(cohort_of) and cohort_of[e] is cohort_of[b]:
                    e += 1
                blocks.append((cohort_of[b], b, e, torch.tensor(local_of[b:e], device=device)))
                b = e
        # Prefill the newcomers: rows [len(keep), len(keep) + k) of the cache, right-aligned to new_length.
        logits = []
        parts = _prefill_parts([len(s) for s in admit], call_tokens) if can_refill else [(0, k)]
        for a, b in parts if k else ():
            part_width = len(admit[a])
            ids = torch.full((b - a, part_width), pad_id, dtype=torch.long)
            for r, suffix in enumerate(admit[a:b]):
                ids[r, part_width - len(suffix):] = torch.tensor(suffix, dtype=torch.long)
            part_mask = mask[len(keep) + a:len(keep) + b, :new_length]
            # Positions count real tokens only (what generate derives from the mask); masked columns get 0.
            part_positions = (part_mask.long().cumsum(-1) - 1).masked_fill(~part_mask, 0)[:, new_length - part_width:]
            part_cache = (row_window(cache, len(keep) + a, len(keep) + b, new_length - part_width, n_prefix)
                          if can_refill else cache)
            logits.append(model(input_ids=ids.to(device), position_ids=part_positions, cache=part_cache,
                                attention_mask=None if bool(part_mask.all()) else part_mask.long(),
                                use_cache=True, logits_to_keep=1).logits[:, -1, :].float())
        queue, length = queue + k, new_length
        chosen = chosen[keep_t]
        if k:
            first = pick(torch.cat(logits), [(cohort, len(keep), len(keep) + k, torch.arange(k, device=device))])
            chosen = torch.cat([chosen, first])
            record(first, len(keep))

    with torch.inference_mode():
        arrange(slots)
        while True:
            live = active.count(True)
            if live == 0 and queue == total:
                break
            free = slots - live
            if queue < total and (live == 0 or (can_refill and free * LEAVE_AT >= slots)):
                arrange(min(free, total - queue))
                continue  # the newcomers may all have ended at their first token
            stopped = len(active) - live
            if (stopped and stopped * LEAVE_AT >= len(active)) or (can_refill and length == capacity):
                arrange(0)
            logits = model(input_ids=chosen[:, None], position_ids=positions[:, None], cache=cache,
                           attention_mask=None if step_mask is None else step_mask[..., :length + 1],
                           use_cache=True, logits_to_keep=1).logits[:, -1, :].float()
            length, positions = length + 1, positions + 1
            chosen = pick(logits, blocks)
            record(chosen, 0)
    return out
