"""The in-place KV cache (toolrouter.infer.kvcache): the logits of every step are bit for bit those of
transformers' DynamicCache, through a padded prefill, decoding, rows leaving the batch, a buffer that
has to grow, and a prefix copied into every row."""
import pytest

from toolrouter.infer.kvcache import PreallocatedLayer, preallocated_cache

from test_prefix_cache import random_model

pytestmark = pytest.mark.usefixtures("one_thread")


def decode(model, cache, ids, mask, steps: int, drop_at: int = 2, skip: int = 0, keep=None):
    """Prefill `ids` (left-padded by `mask`; the first `skip` are in `cache` already), then greedy
    steps; at step `drop_at` the rows `keep` stay (default: all but row 0). Returns every step's
    last-position logits."""
    import torch

    positions = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 0)
    live = torch.arange(ids.shape[0])
    out = []
    with torch.inference_mode():
        step_ids, positions = ids[:, skip:], positions[:, skip:]
        for step in range(steps):
            logits = model(input_ids=step_ids, attention_mask=mask, position_ids=positions, cache=cache,
                           use_cache=True, logits_to_keep=1).logits[:, -1, :]
            out.append(logits.clone())
            chosen = logits.argmax(-1)
            if step == drop_at:
                keep = torch.tensor(keep) if keep is not None else torch.arange(1, len(live))
                cache.batch_select_indices(keep)
                live, chosen, mask, positions = live[keep], chosen[keep], mask[keep], positions[keep]
                keep = None
            mask = torch.cat([mask, mask.new_ones((mask.shape[0], 1))], dim=-1)
            step_ids, positions = chosen[:, None], positions[:, -1:] + 1
    return out


@pytest.mark.parametrize("shape", ["llama", "qwen2"])
def test_logits_equal_dynamic_cache_bit_for_bit(shape, tiny_tokenizer):
    import torch
    from transformers import DynamicCache

    model = random_model(tiny_tokenizer, shape)
    torch.manual_seed(0)
    ids = torch.randint(5, len(tiny_tokenizer), (3, 12))
    mask = torch.ones_like(ids)
    mask[1, :4] = mask[2, :7] = 0  # left padding of different widths
    reference = decode(model, DynamicCache(config=model.config), ids, mask, steps=8)
    # Capacity 14 < 12 + 8: the buffer doubles once on the way.
    cache = preallocated_cache(model, rows=3, capacity=14)
    assert all(isinstance(layer, PreallocatedLayer) for layer in cache.layers)
    got = decode(model, cache, ids, mask, steps=8)
    assert all(torch.equal(a, b) for a, b in zip(got, reference))
    assert cache.layers[0].capacity == 28 and cache.get_seq_length() == 12 + 7


def test_prefix_is_copied_into_every_row_and_never_written(tiny_tokenizer):
    import torch
    from transformers import DynamicCache

    from toolrouter.infer.generate import PrefixCache

    model = random_model(tiny_tokenizer, "qwen2")
    torch.manual_seed(0)
    prefix = tuple(torch.randint(5, len(tiny_tokenizer), (20,)).tolist())
    suffix = torch.randint(5, len(tiny_tokenizer), (2, 6))
    ids = torch.cat([torch.tensor([prefix] * 2), suffix], dim=-1)
    mask = torch.ones_like(ids)
    reference = decode(model, DynamicCache(config=model.config), ids, mask, steps=5)

    stored = PrefixCache(model).layers(prefix)
    before = [k.clone() for k, _ in stored]
    cache = preallocated_cache(model, rows=2, capacity=len(prefix) + 6 + 5, prefix=stored)
    assert cache.get_seq_length() == len(prefix)
    got = decode(model, cache, ids, mask, steps=5, skip=len(prefix))
    # The prefix was computed at batch 1 and the reference at batch 2: equal up to float rounding.
    assert all(torch.allclose(a, b, atol=1e-4) for a, b in zip(got, reference))
    assert [a.argmax(-1).tolist() for a in got] == [b.argmax(-1).tolist() for b in reference]
    assert all(torch.equal(a, k) for a, (k, _) in zip(before, stored))


def test_rows_leave_in_place_keeping_every_other_rows_cache(tiny_tokenizer):
    """Rows leaving from the middle and the end: the rows that stay move up within the same buffer
    (only the filled positions are copied) and decode on exactly as in DynamicCache."""
    import torch
    from transformers import DynamicCache

    model = random_model(tiny_tokenizer, "llama")
    torch.manual_seed(1)
    ids = torch.randint(5, len(tiny_tokenizer), (5, 9))
    mask = torch.ones_like(ids)
    mask[0, :3] = mask[3, :5] = 0
    keep = [1, 3]  # rows 0, 2 and 4 leave: row 3 moves to place 1
    reference = decode(model, DynamicCache(config=model.config), ids, mask, steps=6, drop_at=1, keep=keep)
    cache = preallocated_cache(model, rows=5, capacity=9 + 6)
    got = decode(model, cache, ids, mask, steps=6, drop_at=1, keep=keep)
    assert all(torch.equal(a, b) for a, b in zip(got, reference))
    assert [a.shape[0] for a in got] == [5, 5, 2, 2, 2, 2]
    layer = cache.layers[0]
    assert layer.rows == 2 and layer.keys.shape[0] == 2 and cache.get_seq_length() == 9 + 5
    # Still the 5-row buffer it was given (no copy of the whole capacity), its first 2 rows in use.
    assert layer._keys.untyped_storage().nbytes() == 5 * layer._keys[0].numel() * layer._keys.element_size()
    assert layer._keys.data_ptr() == layer._keys.untyped_storage().data_ptr()
