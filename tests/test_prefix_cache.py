"""The shared-prefix KV cache (toolrouter.infer.generate.PrefixCache): the system turn is encoded once
and reused, and the answers are token for token those of the uncached path and of transformers'
own `generate`, on tiny random Llama- and Qwen2-shaped models built here, constrained or not."""
import copy
from pathlib import Path

import pytest

from toolrouter import ToolrouterError, load_catalogue
from toolrouter.infer.generate import (MIN_PREFIX_TOKENS, PrefixCache, _per_conversation_tools, _prefix_lengths,
                                       generate_answers, render_prompts, stop_token_ids)

from test_generate import conversations

pytestmark = pytest.mark.usefixtures("one_thread")


def random_model(tokenizer, shape: str):
    """A tiny random Llama or Qwen2 (grouped KV heads, q/k/v biases). Weights drawn wider than the
    default init (std 0.3, not 0.02), so that the answer depends on the prompt instead of collapsing
    to one repeated token: an identity check between two paths then means something."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    common = dict(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                  num_attention_heads=4, max_position_embeddings=4096, tie_word_embeddings=True,
                  initializer_range=0.3, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(1)
    if shape == "llama":
        return LlamaForCausalLM(LlamaConfig(num_key_value_heads=4, **common)).eval()
    return Qwen2ForCausalLM(Qwen2Config(num_key_value_heads=2, use_sliding_window=False, **common)).eval()


@pytest.fixture(scope="module")
def llama_model(tiny_tokenizer):
    return random_model(tiny_tokenizer, "llama")


@pytest.fixture(scope="module")
def qwen_model(tiny_tokenizer):
    return random_model(tiny_tokenizer, "qwen2")


@pytest.fixture(scope="module")
def qwen_tokenizer(tiny_tokenizer):
    """The tiny tokenizer with Qwen2.5's own chat template (TRL ships it): tools go into the system turn."""
    import trl

    tok = copy.deepcopy(tiny_tokenizer)
    tok.chat_template = (Path(trl.__file__).parent / "chat_templates" / "qwen2_5.jinja").read_text(encoding="utf-8")
    return tok


def mixed(cat, n):
    """Conversations with three different system turns, one with an earlier exchange, one with none."""
    convs, tools = conversations(cat, n, ("compact", "json", "template"))
    convs[1] = convs[1][:1] + [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}] + convs[1][1:]
    convs[2], tools[2] = convs[2][1:], None  # no system turn: encoded whole
    return convs, tools


def reference(model, tokenizer, convs, tools, cat, constrained, max_new_tokens):
    """transformers' generate, one conversation at a time, greedy, no prefix cache."""
    import torch
    from transformers import GenerationConfig, LogitsProcessorList

    from toolrouter.formats.grammar import compile_grammar, logits_processor

    stops = stop_token_ids(tokenizer, model)
    config = GenerationConfig(max_new_tokens=max_new_tokens, do_sample=False, eos_token_id=stops,
                              pad_token_id=tokenizer.pad_token_id)
    compiled = compile_grammar(cat, tokenizer, vocab_size=model.get_output_embeddings().weight.shape[0],
                               stop_token_ids=stops) if constrained else None
    out = []
    for prompt in render_prompts(tokenizer, convs, tools):
        ids = torch.tensor([tokenizer(prompt, add_special_tokens=False)["input_ids"]])
        processors = LogitsProcessorList([logits_processor(compiled, max_new_tokens)]) if constrained else None
        with torch.inference_mode():
            new = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), generation_config=config,
                                 logits_processor=processors)[0, ids.shape[1]:]
        out.append(tokenizer.decode(new, skip_special_tokens=True))
    return out


@pytest.mark.parametrize("shape", ["llama", "qwen2"])
@pytest.mark.parametrize("constrained", [False, True])
def test_cached_answers_are_the_uncached_ones_token_for_token(shape, constrained, llama_model, tiny_tokenizer,
                                                               qwen_model, qwen_tokenizer):
    model, tokenizer = (llama_model, tiny_tokenizer) if shape == "llama" else (qwen_model, qwen_tokenizer)
    cat = load_catalogue("car_control")
    convs, tools = mixed(cat, 9)
    kwargs = dict(tools=tools, max_new_tokens=24, catalogue=cat, constrained=constrained)
    uncached = generate_answers(model, tokenizer, convs, batch_size=4, prefix_cache=False, **kwargs)
    assert uncached == reference(model, tokenizer, convs, tools, cat, constrained, 24)
    for batch_size in (1, 4):
        cache = PrefixCache(model)
        assert generate_answers(model, tokenizer, convs, batch_size=batch_size, prefix_cache=cache, **kwargs) == uncached
        assert len(cache.entries) == 3 and cache.misses == 3  # compact, json, template: each encoded once
    # Answers differ between conversations (the comparison is not between empty strings).
    assert len(set(uncached)) > 3


def test_prefix_is_the_system_turn_and_is_encoded_once(tiny_model, tiny_tokenizer, qwen_tokenizer):
    import torch

    cat = load_catalogue("support_router")
    for tokenizer in (tiny_tokenizer, qwen_tokenizer):
        convs, tools = conversations(cat, 4, ("template",))
        per = _per_conversation_tools(tools, 4)
        encoded = [tokenizer(p, add_special_tokens=False)["input_ids"] for p in render_prompts(tokenizer, convs, per)]
        lengths = _prefix_lengths(tokenizer, convs, per, encoded)
        assert len(set(lengths)) == 1 and lengths[0] >= MIN_PREFIX_TOKENS
        prefix_text = tokenizer.decode(encoded[0][:lengths[0]])
        # The whole system turn (with the tool list the template writes there), no user text.
        assert '"track_order"' in prefix_text and cat.render("template")[:40] in prefix_text
        assert convs[0][1]["content"] not in prefix_text and prefix_text.rstrip().endswith("<|im_end|>")

    cache = PrefixCache(tiny_model)
    convs, _ = conversations(cat, 6, ("compact",))
    first = generate_answers(tiny_model, tiny_tokenizer, convs, max_new_tokens=8, batch_size=2, prefix_cache=cache)
    [stored] = cache.entries.values()
    before = [k.clone() for k, _ in stored]
    second = generate_answers(tiny_model, tiny_tokenizer, convs, max_new_tokens=8, batch_size=4, prefix_cache=cache)
    assert first == second and cache.misses == 1 and cache.hits == 1  # once per call: one group, its rows refilled
    # Decoding wrote into copies, never into the stored prefix.
    assert all(torch.equal(a, k) for a, (k, _) in zip(before, stored))
    with pytest.raises(ToolrouterError, match="another model"):
        generate_answers(copy.deepcopy(tiny_model), tiny_tokenizer, convs, prefix_cache=cache)


def test_router_reuses_its_prefix_across_requests(tiny_model, tiny_tokenizer):
    from toolrouter.serve.router import Router

    cat = load_catalogue("car_control")
    router = Router(tiny_model, tiny_tokenizer, cat, mode="json", max_new_tokens=48)
    plain = Router(tiny_model, tiny_tokenizer, cat, mode="json", max_new_tokens=48, prefix_cache=False)
    requests = ["lock the doors", "wipers faster", "hi"]
    assert [router.route(r) for r in requests] == [plain.route(r) for r in requests]
    assert router.prefix_cache.misses == 1 and router.prefix_cache.hits == 2
    assert plain.prefix_cache is False
