"""The built-in scratch base: a byte-level BPE tokenizer trained locally with `tokenizers` and a
small random-init Llama-shaped model. Offline, seconds to build; what `make demo` and the tests use.

    tok = build_tokenizer(texts)                 # digits are single tokens: IDs are copied digit by digit
    model = build_model(tok, layers=2, hidden=128, heads=8)

The chat template is ChatML-like and wraps the assistant answer *and* its `<|im_end|>` in
`{% generation %}` so TRL's `assistant_only_loss=True` labels exactly the answer plus the stop token
(with `<|im_end|>` outside the block the model never learns to stop: see shared NOTES).

For the `native` answer format the scratch base wears a real base's clothes instead: TRL's shipped
copy of the Qwen2.5 or Llama 3.1 chat template, that template's special tokens (and Qwen's
`<tool_call>` tags as ordinary added tokens, as in Qwen's own tokenizer), and a Qwen2- or
Llama-shaped model. TRL treats it exactly as it treats the real base (same template text: the same
auto-patching for assistant-only loss, the same response template).

    tok = build_tokenizer(texts, template="qwen2_5"); model = build_model(tok, arch="qwen2")
"""
from __future__ import annotations

from typing import Iterable

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|pad|>"]

# In template mode the tool list is appended to the system turn as JSON, as Qwen-style templates do.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'assistant' %}"
    "<|im_start|>assistant\n{% generation %}{{ message['content'] }}<|im_end|>{% endgeneration %}\n"
    "{% else %}"
    "<|im_start|>{{ message['role'] }}\n{{ message['content'] }}"
    "{% if message['role'] == 'system' and tools %}\n{{ tools | tojson }}{% endif %}<|im_end|>\n"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

# The same with each user turn lower-cased as it is rendered: a normaliser that lives in the run's own
# template (training, eval, Router, server and vLLM all render through it), so "Lock the doors", "LOCK
# THE DOORS" and "lock the doors" are one input and an answer cannot change with casing alone. Targets
# keep their case: a value the model copies comes out in the case it learned ("ORD-48213" from
# "ord-48213"), and `--copy` (toolrouter.formats.copy) takes copied text verbatim from the request.
CHAT_TEMPLATE_LOWER = CHAT_TEMPLATE.replace("{{ message['content'] }}{% if message['role'] == 'system'",
                                            "{{ message['content'] | lower if message['role'] == 'user' "
                                            "else message['content'] }}{% if message['role'] == 'system'")
assert CHAT_TEMPLATE_LOWER != CHAT_TEMPLATE

# template name -> (special tokens, ordinary added tokens, bos, eos, pad); the template text is TRL's.
TEMPLATES = {
    "chatml": (SPECIAL_TOKENS, [], "<|endoftext|>", "<|im_end|>", "<|pad|>"),
    "chatml_lower": (SPECIAL_TOKENS, [], "<|endoftext|>", "<|im_end|>", "<|pad|>"),
    "qwen2_5": (["<|endoftext|>", "<|im_start|>", "<|im_end|>"], ["<tool_call>", "</tool_call>"],
                None, "<|im_end|>", "<|endoftext|>"),
    "llama3_1": (["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>",
                  "<|eom_id|>", "<|python_tag|>", "<|finetune_right_pad_id|>"], [],
                 "<|begin_of_text|>", "<|eot_id|>", "<|finetune_right_pad_id|>"),
}
ARCH_OF_TEMPLATE = {"chatml": "llama", "chatml_lower": "llama", "qwen2_5": "qwen2", "llama3_1": "llama"}


def chat_template(name: str) -> str:
    """The chat template text of `name` (TEMPLATES): ours for chatml(_lower), else TRL's shipped copy."""
    if name == "chatml":
        return CHAT_TEMPLATE
    if name == "chatml_lower":
        return CHAT_TEMPLATE_LOWER
    import trl.chat_template_utils as shipped

    return getattr(shipped, f"{name}_chat_template")


def build_tokenizer(texts: Iterable[str], vocab_size: int = 1024, whole: Iterable[str] = (),
                    template: str = "chatml", space_tokens: bool = False):
    """Train a byte-level BPE tokenizer on `texts` and wrap it as a PreTrainedTokenizerFast.

    Each string in `whole` becomes one token wherever it occurs verbatim. The scratch base uses it
    for its system prompt: the same few hundred characters open every row, and as ~150 word-level
    BPE tokens they would be 70 % of each sequence's compute while teaching nothing (a model trained
    from scratch on one catalogue cannot read another one anyway).

    `space_tokens`: each whitespace character is its own token, so a word is the same tokens wherever it
    stands. Byte-level BPE otherwise glues the space to the word after it: "Rome" in `in Rome` is
    `ĠRome` but in the answer's `"city": "Rome"` it is `Rome`, two unrelated tokens, and a model trained
    from scratch must learn that pair for every value instead of learning to copy."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    # Each digit its own token: order IDs and numbers are then copied digit by digit, which a tiny
    # model learns far more easily than arbitrary multi-digit merges.
    steps = [pre_tokenizers.Digits(individual_digits=True),
             pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)]
    if space_tokens:
        steps.insert(0, pre_tokenizers.Split(Regex(r"\s"), behavior="isolated"))
    tok.pre_tokenizer = pre_tokenizers.Sequence(steps)
    tok.decoder = decoders.ByteLevel()
    special, added, bos, eos, pad = TEMPLATES[template]
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=special,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(texts, trainer=trainer)
    tok.add_tokens([AddedToken(text, normalized=False, special=False) for text in added])
    tok.add_tokens([AddedToken(text, normalized=False, single_word=False) for text in whole if text])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=bos, eos_token=eos,
                                   pad_token=pad, unk_token=None, padding_side="right")
    fast.chat_template = chat_template(template)
    return fast


def build_model(tokenizer, layers: int = 2, hidden: int = 128, heads: int = 8, intermediate: int | None = None,
                max_positions: int = 4096, seed: int = 0, arch: str = "llama"):
    """A random-init LlamaForCausalLM (or Qwen2ForCausalLM, arch="qwen2") sized for `tokenizer` (tied embeddings)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    config_class, model_class = (Qwen2Config, Qwen2ForCausalLM) if arch == "qwen2" else (LlamaConfig, LlamaForCausalLM)
    config = config_class(
        vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=intermediate or 4 * hidden,
        num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=heads,
        max_position_embeddings=max_positions, tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    model = model_class(config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    return model
