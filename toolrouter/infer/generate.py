"""Batched greedy decoding of router answers, optionally grammar-constrained.

    loaded = load_for_inference("runs/support_router_tiny")      # toolrouter.infer.loading
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

from typing import Optional, Sequence

from toolrouter.core.catalogue import Catalogue
from toolrouter.core.schema import ToolrouterError
# Loading lives in toolrouter.infer.loading; these names stay importable from here.
from toolrouter.infer.loading import Loaded, inference_dtype, load_for_inference  # noqa: F401

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
