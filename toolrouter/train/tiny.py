"""The built-in scratch base: a byte-level BPE tokenizer trained locally with `tokenizers` and a
small random-init Llama-shaped model. Offline, seconds to build; what `make demo` and the tests use.

    tok = build_tokenizer(texts)                 # digits are single tokens: IDs are copied digit by digit
    model = build_model(tok, layers=2, hidden=128, heads=8)

The chat template is ChatML-like and wraps the assistant answer *and* its `<|im_end|>` in
`{% generation %}` so TRL's `assistant_only_loss=True` labels exactly the answer plus the stop token
(with `<|im_end|>` outside the block the model never learns to stop: see shared NOTES).
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


def build_tokenizer(texts: Iterable[str], vocab_size: int = 1024, whole: Iterable[str] = ()):
    """Train a byte-level BPE tokenizer on `texts` and wrap it as a PreTrainedTokenizerFast.

    Each string in `whole` becomes one token wherever it occurs verbatim. The scratch base uses it
    for its system prompt: the same few hundred characters open every row, and as ~150 word-level
    BPE tokens they would be 70 % of each sequence's compute while teaching nothing (a model trained
    from scratch on one catalogue cannot read another one anyway)."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    # Each digit its own token: order IDs and numbers are then copied digit by digit, which a tiny
    # model learns far more easily than arbitrary multi-digit merges.
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(texts, trainer=trainer)
    tok.add_tokens([AddedToken(text, normalized=False, single_word=False) for text in whole if text])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|endoftext|>", eos_token="<|im_end|>",
                                   pad_token="<|pad|>", unk_token=None, padding_side="right")
    fast.chat_template = CHAT_TEMPLATE
    return fast


def build_model(tokenizer, layers: int = 2, hidden: int = 128, heads: int = 8, intermediate: int | None = None,
                max_positions: int = 4096, seed: int = 0):
    """A random-init LlamaForCausalLM sized for `tokenizer` (tied embeddings)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=intermediate or 4 * hidden,
        num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=heads,
        max_position_embeddings=max_positions, tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    return model
