"""Slot refill in generate_answers (toolrouter.infer.generate._decode): when rows stop, waiting rows
are prefilled and spliced into the running cache. Every answer must be token for token the answer of
its conversation alone, through many refills (batch 3, answers of very different lengths), with and
without the grammar, with and without a shared prefix, on tiny random models built here; refill must
really happen (fewer decoding steps than batch after batch), and the columns must stay bounded."""
import pytest

from toolrouter import load_catalogue
from toolrouter.infer.generate import generate_answers, render_prompts

from test_generate import REQUESTS
from test_generate_batching import LONG, greedy_logits
from test_prefix_cache import random_model

pytestmark = pytest.mark.usefixtures("one_thread")

MORE = ["cancel it", "where's my parcel, it has been two weeks now and nobody answers the phone", "ORD-1",
        "I need a refund for order ORD-77 because it broke", "escalate", "thanks!"]


def conversations(cat, n, system=True):
    """n conversations, requests of 1 to ~60 tokens; one shared system turn, or none."""
    requests = [LONG, *REQUESTS, *MORE, LONG.lower()]
    convs = []
    for i in range(n):
        turns = [{"role": "user", "content": requests[i % len(requests)] + (" again" * (i // len(requests)))}]
        convs.append(([{"role": "system", "content": cat.render("compact")}] if system else []) + turns)
    return convs


def prompt_lengths(tokenizer, convs):
    return [len(tokenizer(p, add_special_tokens=False)["input_ids"]) for p in render_prompts(tokenizer, convs)]


class Counter:
    """Counts the model's forward calls: prefill calls (more than one token a row) and decoding steps."""

    def __init__(self, model):
        self.model, self.forward, self.prefill, self.steps, self.lengths, self.capacities = model, model.forward, 0, 0, [], set()

    def __enter__(self):
        def counted(*args, **kwargs):
            if kwargs["input_ids"].shape[1] > 1:
                self.prefill += 1
            else:
                self.steps += 1
                cache = kwargs["cache"]
                self.lengths.append(cache.get_seq_length())
                self.capacities.add(cache.layers[0].capacity)
            return self.forward(*args, **kwargs)

        self.model.forward = counted
        return self

    def __exit__(self, *exc):
        del self.model.forward


@pytest.fixture(scope="module")
def models(tiny_tokenizer):
    """test_prefix_cache's random Llama and Qwen2, with the stop tokens' (tied) embedding rows scaled by
    1.5: as drawn, nearly every answer runs to the token budget, so rows would all stop together and
    refill would hardly happen. Scaled, answers of these prompts end after 0 to 27 tokens (measured)."""
    import torch

    from toolrouter.infer.generate import stop_token_ids

    out = {}
    for shape in ("llama", "qwen2"):
        model = random_model(tiny_tokenizer, shape)
        with torch.no_grad():
            model.get_output_embeddings().weight[stop_token_ids(tiny_tokenizer)] *= 1.5
        out[shape] = model
    return out


@pytest.mark.parametrize("shape", ["llama", "qwen2"])
@pytest.mark.parametrize("constrained", [False, True])
@pytest.mark.parametrize("system", [True, False])
def test_refilled_rows_answer_as_alone(shape, constrained, system, models, tiny_tokenizer):
    """14 rows through 3 slots: rows stop at different steps and are replaced many times, each
    newcomer spliced in beside rows that are mid-answer. A wrong column shift, mask, position or a
    grammar matcher carried over from the row before changes an answer."""
    model, cat = models[shape], load_catalogue("support_router")
    convs = conversations(cat, 14, system)
    kwargs = dict(max_new_tokens=28, catalogue=cat, constrained=constrained)
    alone = generate_answers(model, tiny_tokenizer, convs, batch_size=1, prefix_cache=False, **kwargs)
    refilled = generate_answers(model, tiny_tokenizer, convs, batch_size=3, **kwargs)
    assert refilled == alone
    assert generate_answers(model, tiny_tokenizer, convs, batch_size=1, **kwargs) == alone  # prefix cache, batch 1
    # The comparison means something: different answers, of different lengths.
    assert len(set(alone)) > 5 and len({len(tiny_tokenizer(a)["input_ids"]) for a in alone}) > 3


def test_refill_takes_fewer_steps_than_batch_after_batch(models, tiny_tokenizer):
    """Batch after batch, a batch runs until its longest answer ends; with refill a freed slot takes
    the next row at once. Each row's own step count (alone) gives what batches of 3 would take."""
    model, cat = models["llama"], load_catalogue("support_router")
    convs = conversations(cat, 14)
    kwargs = dict(max_new_tokens=28)
    own = []
    for conv in convs:  # decoding steps of each row alone: its answer length - 1 (the first comes from the prefill)
        with Counter(model) as counter:
            generate_answers(model, tiny_tokenizer, [conv], **kwargs)
        own.append(counter.steps)
    assert len(set(own)) > 3
    # generate_answers admits rows longest prompt first: batches of 3 in that order.
    lengths = prompt_lengths(tiny_tokenizer, convs)
    order = sorted(range(len(convs)), key=lambda i: -lengths[i])
    batch_after_batch = sum(max(own[i] for i in order[s:s + 3]) for s in range(0, len(order), 3))
    with Counter(model) as counter:
        generate_answers(model, tiny_tokenizer, convs, batch_size=3, **kwargs)
    assert counter.steps < batch_after_batch
    # Never fewer than the busiest slot could manage: the row-steps spread over 3 slots.
    assert counter.steps >= -(-sum(own) // 3)


def test_columns_stay_bounded_on_a_long_run(models, tiny_tokenizer):
    """40 rows through 2 slots: the column pointer advances every step, and would reach ~40 answers'
    worth of dead columns; compaction keeps it within one prompt and one answer budget, in the buffer
    sized for that (it never grows)."""
    model, cat = models["qwen2"], load_catalogue("support_router")
    convs = conversations(cat, 40)
    max_new = 20
    with Counter(model) as counter:
        answers = generate_answers(model, tiny_tokenizer, convs, batch_size=2, max_new_tokens=max_new)
    longest = max(prompt_lengths(tiny_tokenizer, convs))
    assert max(counter.lengths) < longest + max_new
    assert len(counter.capacities) == 1 and counter.capacities.pop() <= longest + max_new
    assert answers == generate_answers(model, tiny_tokenizer, convs, batch_size=1, max_new_tokens=max_new)


def test_each_refilled_row_keeps_its_own_grammar(models, tiny_tokenizer):
    """One grammar per conversation (--copy, the server's tool subsets): a newcomer takes a freed slot
    and must get its own grammar, not the one of the row it replaces."""
    from toolrouter.formats.grammar import compile_grammar

    model, cat = models["llama"], load_catalogue("support_router")
    convs = conversations(cat, 9)
    names = ["escalate", "track_order", "request_refund"]
    only = [cat.subset([names[i % 3]]) for i in range(len(convs))]
    vocab = model.get_output_embeddings().weight.shape[0]
    # No no_tool option: each answer must call its conversation's one tool.
    grammars = [compile_grammar(c, tiny_tokenizer, vocab_size=vocab, no_tool=False) for c in only]
    kwargs = dict(max_new_tokens=40, catalogue=cat, constrained=True, grammars=grammars)
    refilled = generate_answers(model, tiny_tokenizer, convs, batch_size=2, **kwargs)
    assert refilled == generate_answers(model, tiny_tokenizer, convs, batch_size=1, prefix_cache=False, **kwargs)
    # Each answer calls its own conversation's tool (some are cut off by the budget inside a long string).
    for i, text in enumerate(refilled):
        assert text.startswith('{"tool":"%s"' % names[i % 3]), text


def test_refill_moves_rows_and_columns_in_the_cache(tiny_tokenizer):
    """kvcache.refill directly: after two rows decoded a few steps, row 0 leaves, row 1 moves to the
    front with its columns shifted right (a newcomer longer than its span), and a newcomer is prefilled
    through a row window into row 1 of a buffer whose unused memory holds NaN. Every logit is the one
    of each row alone, up to float rounding."""
    import torch

    from toolrouter.infer.kvcache import preallocated_cache, refill, row_window, set_length

    model = random_model(tiny_tokenizer, "llama")
    torch.manual_seed(0)
    a, b, new = (torch.randint(5, len(tiny_tokenizer), (1, n)) for n in (6, 4, 14))

    capacity = 30
    cache = preallocated_cache(model, rows=2, capacity=capacity)
    got_b, got_new = [], []
    with torch.inference_mode():
        for layer in cache.layers:  # what uninitialized memory may hold
            layer.lazy_initialization(torch.zeros(2, 4, 1, 16), torch.zeros(2, 4, 1, 16))
            layer._keys.fill_(float("nan"))
            layer._values.fill_(float("nan"))
        mask = torch.ones(2, 6, dtype=torch.bool)
        mask[1, :2] = False
        ids = torch.cat([a, torch.cat([torch.zeros(1, 2, dtype=torch.long), b], -1)])
        logits = model(input_ids=ids, attention_mask=mask.long(), position_ids=(mask.cumsum(-1) - 1).clamp(min=0),
                       cache=row_window(cache, 0, 2, 0), use_cache=True).logits[:, -1, :]
        set_length(cache, 6)
        got_b.append(logits[1])
        chosen, positions = logits.argmax(-1), torch.tensor([6, 4])
        for step in range(2):  # two steps for both rows
            full = torch.cat([mask, torch.ones(2, step + 1, dtype=torch.bool)], -1)
            logits = model(input_ids=chosen[:, None], position_ids=positions[:, None], cache=cache, use_cache=True,
                           attention_mask=full[:, None, None, :]).logits[:, -1, :]
            got_b.append(logits[1])
            chosen, positions = logits.argmax(-1), positions + 1
        # Row 0 leaves; row 1 (6 columns of its own: 4 prompt + 2 answer) moves to the front, its
        # columns shifted to end at 14 (the newcomer's width), and the newcomer goes into row 1.
        length = cache.get_seq_length()
        refill(cache, torch.tensor([1]), width=6, length=14, rows=2, gap_from=0)
        assert cache.get_seq_length() == 14 and length == 8
        mask = torch.zeros(2, capacity, dtype=torch.bool)
        mask[0, 8:] = mask[1, :] = True
        logits = model(input_ids=new, position_ids=torch.arange(14)[None], cache=row_window(cache, 1, 2, 0),
                       use_cache=True).logits[:, -1, :]
        got_new.append(logits[0])
        chosen = torch.stack([chosen[1], logits[0].argmax()])
        positions = torch.tensor([positions[1].item(), 14])
        for step in range(3):
            logits = model(input_ids=chosen[:, None], position_ids=positions[:, None], cache=cache, use_cache=True,
                           attention_mask=mask[:, None, None, :15 + step]).logits[:, -1, :]
            got_b.append(logits[0])
            got_new.append(logits[1])
            chosen, positions = logits.argmax(-1), positions + 1
    for got, expected in ((got_b, greedy_logits(model, b, 6)), (got_new, greedy_logits(model, new, 4))):
        assert all(torch.allclose(x, y, atol=1e-4) for x, y in zip(got, expected))
        assert [x.argmax().item() for x in got] == [y.argmax().item() for y in expected]


def test_a_sliding_window_model_decodes_batch_after_batch(tiny_tokenizer):
    """Sliding-window layers keep transformers' own cache (no row windows, no refill): new rows come in
    only once the batch has ended, and the mask goes in 2-D so each layer builds its own (the 4-D mask
    over the whole buffer does not fit a window of 16: it raised before)."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    from toolrouter.infer.generate import stop_token_ids

    torch.manual_seed(1)
    config = Qwen2Config(vocab_size=len(tiny_tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=4096,
                         tie_word_embeddings=True, initializer_range=0.3, eos_token_id=tiny_tokenizer.eos_token_id,
                         pad_token_id=tiny_tokenizer.pad_token_id, use_sliding_window=True, sliding_window=16,
                         max_window_layers=1)
    model = Qwen2ForCausalLM(config).eval()
    assert "sliding_attention" in config.layer_types
    with torch.no_grad():
        model.get_output_embeddings().weight[stop_token_ids(tiny_tokenizer)] *= 1.5
    cat = load_catalogue("support_router")
    convs = conversations(cat, 10)
    batched = generate_answers(model, tiny_tokenizer, convs, batch_size=3, max_new_tokens=24)
    assert batched == generate_answers(model, tiny_tokenizer, convs, batch_size=1, max_new_tokens=24)
    assert len(set(batched)) > 5
