"""How generate_answers batches (toolrouter.infer.generate._decode): prompts of very different lengths
are prefilled in parts that write into one cache (kvcache.RowWindow), decoded as one batch with a
prepared 4-D mask, and stopped rows leave in groups; the answers stay token for token those of one
conversation at a time and of transformers' own `generate`, constrained (one grammar or one per
conversation, as --copy gives) or not, on tiny random models built here."""
import pytest

from toolrouter import load_catalogue, parse_tool_call
from toolrouter.infer.generate import PREFILL_CALL_TOKENS, _prefill_parts, generate_answers, render_prompts

from test_generate import REQUESTS
from test_prefix_cache import random_model, reference

pytestmark = pytest.mark.usefixtures("one_thread")

# One long request among short ones: padded to the longest, the batch's prefill would be mostly padding.
LONG = ("I ordered a pair of running shoes last month, order ORD-55120, they arrived in the wrong size and "
        "the box was damaged, the left one has a scuff on the toe, and I would like my money back please")


def greedy_logits(model, ids, steps: int) -> list:
    """The last-position logits of `steps` greedy steps of `ids` (1 x n) alone, through transformers' own
    DynamicCache: the reference a hand-written cache must match."""
    import torch
    from transformers import DynamicCache

    cache, out, step_ids = DynamicCache(config=model.config), [], ids
    with torch.inference_mode():
        for _ in range(steps):
            logits = model(input_ids=step_ids, cache=cache, use_cache=True).logits[:, -1, :]
            out.append(logits[0])
            step_ids = logits.argmax(-1)[:, None]
    return out


def test_prefill_parts_minimise_padding_plus_calls():
    # One part: 4 x 56 + 40 = 264 tokens' worth; [56] then [10, 10, 10]: 56 + 40 + 30 + 40 = 166.
    assert _prefill_parts([56, 10, 10, 10], 40) == [(0, 1), (1, 4)]
    # Close lengths: padding 3 tokens is cheaper than a second call.
    assert _prefill_parts([30, 29, 28, 27], 40) == [(0, 4)]
    # [100, 90] | [20, 18, 5]: 2 x 100 + 40 + 3 x 20 + 40 = 340, the least of every cut.
    assert _prefill_parts([100, 90, 20, 18, 5], 40) == [(0, 2), (2, 5)]
    assert _prefill_parts([100, 90, 20, 18, 5], None) == [(0, 5)]  # not measured on this device: one call
    assert _prefill_parts([7], 40) == [(0, 1)]


def conversations(cat, n):
    """One system turn (one prefix group), requests from 2 to ~60 tokens, the long one twice."""
    requests = [LONG, *REQUESTS[:n - 2], LONG.upper()]
    return [[{"role": "system", "content": cat.render("compact")}, {"role": "user", "content": r}]
            for r in requests[:n]]


@pytest.mark.parametrize("shape", ["llama", "qwen2"])
@pytest.mark.parametrize("constrained", [False, True])
def test_prompts_of_different_lengths_answer_as_alone(shape, constrained, tiny_tokenizer):
    model = random_model(tiny_tokenizer, shape)
    cat = load_catalogue("support_router")
    convs = conversations(cat, 8)
    lengths = sorted((len(tiny_tokenizer(p, add_special_tokens=False)["input_ids"])
                      for p in render_prompts(tiny_tokenizer, convs)), reverse=True)
    assert len(_prefill_parts(lengths, PREFILL_CALL_TOKENS)) > 1  # the batch is prefilled in parts
    kwargs = dict(max_new_tokens=24, catalogue=cat, constrained=constrained)
    batched = generate_answers(model, tiny_tokenizer, convs, batch_size=8, **kwargs)
    assert batched == generate_answers(model, tiny_tokenizer, convs, batch_size=1, **kwargs)
    assert batched == reference(model, tiny_tokenizer, convs, None, cat, constrained, 24)
    assert len(set(batched)) > 3  # the answers differ: the comparison means something


def test_one_grammar_per_conversation_in_a_batch_of_different_lengths(tiny_tokenizer):
    """--copy and the server give each conversation its own grammar: the rows are reordered by
    length inside the batch, and each must keep its own."""
    from toolrouter.formats.grammar import compile_grammar

    model = random_model(tiny_tokenizer, "llama")
    cat = load_catalogue("support_router")
    convs = conversations(cat, 6)
    vocab = model.get_output_embeddings().weight.shape[0]
    only = [cat.subset([name]) for name in ("escalate", "track_order", "escalate", "request_refund",
                                            "track_order", "escalate")]
    # No no_tool option: each answer must call its conversation's one tool, so a grammar given to the
    # wrong row shows in the answer.
    grammars = [compile_grammar(c, tiny_tokenizer, vocab_size=vocab, no_tool=False) for c in only]
    kwargs = dict(max_new_tokens=40, catalogue=cat, constrained=True, grammars=grammars)
    batched = generate_answers(model, tiny_tokenizer, convs, batch_size=6, **kwargs)
    assert batched == generate_answers(model, tiny_tokenizer, convs, batch_size=1, **kwargs)
    for text, sub in zip(batched, only):
        result = parse_tool_call(text, cat)
        assert result.kind == "call" and {c["tool"] for c in result.calls} == set(sub.names), text


def test_row_windows_write_into_one_cache(tiny_tokenizer):
    """Two parts prefilled through RowWindows, then decoded as one batch with the prepared 4-D mask:
    each row's logits are those of the row alone (DynamicCache, no padding), up to float rounding."""
    import torch

    from toolrouter.infer.kvcache import preallocated_cache, row_window, set_length

    model = random_model(tiny_tokenizer, "qwen2")
    torch.manual_seed(0)
    long, short = torch.randint(5, len(tiny_tokenizer), (1, 12)), torch.randint(5, len(tiny_tokenizer), (1, 5))
    steps, width = 4, 12

    expected = [greedy_logits(model, long, steps), greedy_logits(model, short, steps)]
    cache = preallocated_cache(model, rows=2, capacity=width + steps)
    mask = torch.ones(2, width + steps, dtype=torch.bool)
    mask[1, :width - 5] = False
    got = [[], []]
    with torch.inference_mode():
        for row, ids in enumerate((long, short)):
            n = ids.shape[1]
            if row == 1:  # what uninitialized memory may hold: the window must clear its gap
                for layer in cache.layers:
                    layer._keys[1].fill_(float("nan"))
                    layer._values[1].fill_(float("nan"))
            logits = model(input_ids=ids, attention_mask=mask[row:row + 1, :width].long(),
                           position_ids=torch.arange(n)[None], cache=row_window(cache, row, row + 1, width - n),
                           use_cache=True).logits[:, -1, :]
            got[row].append(logits[0])
        set_length(cache, width)
        assert cache.get_seq_length() == width
        chosen = torch.stack([got[0][0], got[1][0]]).argmax(-1)
        positions = torch.tensor([12, 5])
        for step in range(1, steps):
            logits = model(input_ids=chosen[:, None], position_ids=positions[:, None], cache=cache, use_cache=True,
                           attention_mask=mask[:, None, None, :width + step]).logits[:, -1, :]
            got[0].append(logits[0])
            got[1].append(logits[1])
            chosen, positions = logits.argmax(-1), positions + 1
    for row in range(2):
        assert all(torch.allclose(a, b, atol=1e-4) for a, b in zip(got[row], expected[row]))
        assert [a.argmax().item() for a in got[row]] == [b.argmax().item() for b in expected[row]]
