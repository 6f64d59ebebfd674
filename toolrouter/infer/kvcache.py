"""A KV cache that writes each decoding step in place instead of concatenating.

transformers' DynamicLayer grows by `torch.cat` at every step: each new token copies the whole cache
of every layer (measured on this CPU: with car_control's 2,058-token JSON prompt, the cat is half of
a decoding step's time, ~170 us per call). Here each layer gets one buffer sized for the prompt and
the answer budget up front; a step copies only its new keys and values, and attention reads a view of
the filled part. The tensors attention sees hold the same values in the same layout per head, so the
answers are DynamicCache's token for token (tests/test_prefix_cache.py compares them with
transformers' own `generate`).

Imported inside the functions that decode (it imports transformers).
"""
from __future__ import annotations

from typing import Optional

import torch
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer


class PreallocatedLayer(DynamicLayer):
    """A DynamicLayer whose keys/values are views of the first `length` positions of a buffer of
    `capacity` positions. Past the capacity it doubles the buffer (never happens when the caller
    sizes it as prompt + max_new_tokens)."""

    def __init__(self, capacity: int, prefix: Optional[tuple] = None, rows: int = 1):
        super().__init__()
        # `rows` of the buffer's `slots` are in use: rows leave (batch_select_indices) and new ones come
        # in (refill) without a new buffer.
        self.capacity, self.length, self.rows, self.slots = capacity, 0, rows, rows
        self._keys = self._values = None
        if prefix is not None:  # (keys, values), each (1, kv_heads, n, head_dim): copied once per row
            keys, values = prefix
            self._allocate(keys, values, rows)
            self._keys[:, :, :keys.shape[-2]] = keys
            self._values[:, :, :values.shape[-2]] = values
            self._view(keys.shape[-2])

    def _allocate(self, keys, values, rows: int) -> None:
        self.device, self.is_initialized, self.slots = keys.device, True, rows
        self._keys = keys.new_empty((rows, keys.shape[1], self.capacity, keys.shape[3]))
        self._values = values.new_empty((rows, values.shape[1], self.capacity, values.shape[3]))

    def _view(self, length: int) -> None:
        self.length = length
        if self._keys is not None:  # before the first forward (no prefix) there is nothing to view yet
            self.keys, self.values = self._keys[:self.rows, :, :length], self._values[:self.rows, :, :length]

    def lazy_initialization(self, key_states, value_states) -> None:
        self.rows = key_states.shape[0]
        self._allocate(key_states, value_states, key_states.shape[0])
        self._view(0)

    def update(self, key_states, value_states, *args, **kwargs):
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        end = self.length + key_states.shape[-2]
        if end > self.capacity:
            self.capacity = max(end, 2 * self.capacity)
            keys, values = self._keys[:, :, :self.length], self._values[:, :, :self.length]
            self._allocate(keys, values, self.slots)
            self._keys[:, :, :self.length], self._values[:, :, :self.length] = keys, values
        self._keys[:self.rows, :, self.length:end] = key_states
        self._values[:self.rows, :, self.length:end] = value_states
        self._view(end)
        return self.keys, self.values

    def batch_select_indices(self, indices) -> None:
        # Only the filled positions are copied, into the front rows of the same buffer (the gather
        # makes its own copy first, so overlapping rows are safe): `self._keys[indices]` copied the
        # whole capacity, prompt + max_new_tokens, ~3x the filled part for 20-token answers of a
        # 96-token budget (1.5 ms a compaction here, 5 a batch).
        if self.is_initialized:
            n = len(indices)
            self._keys[:n, :, :self.length] = self._keys[indices, :, :self.length]
            self._values[:n, :, :self.length] = self._values[indices, :, :self.length]
            self.rows = n
            self._view(self.length)

    def refill(self, keep, width: int, length: int, rows: int, gap_from: int) -> None:
        """Make room for rows coming into a running batch (generate._decode): batch rows `keep` (a
        tensor, in order) move to the front, their last `width` filled positions moved to end at
        `length` (usually left: the dead columns behind the longest live row are dropped, so
        attention never runs over them), positions [gap_from, length - width) zeroed (masked, but
        uninitialized memory may hold NaN, which survives a mask), and `rows` rows are in use: the
        ones after `keep` are for the newcomers, prefilled through row_window. Positions before
        `gap_from` (the shared prefix, in every row of the buffer) are never touched."""
        if length > self.capacity:
            raise ValueError(f"refill to {length} positions past the capacity {self.capacity}")
        n = len(keep)
        if self.is_initialized and n:
            if width and (length != self.length or not torch.equal(keep.cpu(), torch.arange(n))):
                source = slice(self.length - width, self.length)
                # The gather copies first, so rows and columns may overlap their sources.
                self._keys[:n, :, length - width:length] = self._keys[keep, :, source]
                self._values[:n, :, length - width:length] = self._values[keep, :, source]
            self._keys[:n, :, gap_from:length - width] = 0
            self._values[:n, :, gap_from:length - width] = 0
        self.rows = rows
        self._view(length)


class RowWindow(PreallocatedLayer):
    """Rows [start, stop) of a PreallocatedLayer, sharing its buffer (a view, no copy), filled from
    `length`: a forward through a cache of windows writes the rows' keys and values straight into
    the batch's cache. What lets a batch be prefilled in parts of similar length (less padding)
    and then decoded as one. Allocates its parent (all rows) when the first part arrives."""

    def __init__(self, parent: PreallocatedLayer, start: int, stop: int, length: int, gap_from: int):
        DynamicLayer.__init__(self)
        self.parent, self.start, self.stop, self.gap_from = parent, start, stop, gap_from
        self.capacity, self.length, self.rows = parent.capacity, length, stop - start
        self._keys = self._values = None
        if parent.is_initialized:
            self._bind()

    def _bind(self) -> None:
        self.device, self.is_initialized = self.parent.device, True
        self._keys = self.parent._keys[self.start:self.stop]
        self._values = self.parent._values[self.start:self.stop]
        # The gap [gap_from, length) is masked, but attention still multiplies it, and a NaN left in
        # uninitialized memory would survive the mask (0 * NaN): zeros there (a zero-filled buffer
        # for the whole capacity cost more, 1 ms a batch here).
        self._keys[:, :, self.gap_from:self.length] = 0
        self._values[:, :, self.gap_from:self.length] = 0
        self._view(self.length)

    def lazy_initialization(self, key_states, value_states) -> None:
        self.parent._allocate(key_states, value_states, self.parent.slots)
        self.parent._view(self.parent.length)
        self._bind()

    def update(self, key_states, value_states, *args, **kwargs):
        if self.length + key_states.shape[-2] > self.capacity:  # growing would leave the parent's buffer
            raise ValueError(f"rows {self.start}-{self.stop}: {key_states.shape[-2]} tokens past the capacity")
        return super().update(key_states, value_states, *args, **kwargs)


def windowed(cache: DynamicCache) -> bool:
    """Whether row_window works on `cache`: every layer a PreallocatedLayer (no sliding window)."""
    return bool(cache.layers) and all(type(layer) is PreallocatedLayer for layer in cache.layers)


def row_window(cache: DynamicCache, start: int, stop: int, length: int, gap_from: int = 0) -> DynamicCache:
    """A cache over rows [start, stop) of `cache` (from preallocated_cache, `windowed`) whose next token
    is written at `length`, sharing its buffers, with positions [gap_from, length) zeroed (the gap
    between the prefix and these rows' prompts)."""
    if not windowed(cache):
        raise ValueError("row_window needs a cache whose layers are all PreallocatedLayer")
    window = DynamicCache()
    window.layers = [RowWindow(layer, start, stop, length, gap_from) for layer in cache.layers]
    return window


def preallocated_cache(model, rows: int, capacity: int, prefix: Optional[list] = None) -> DynamicCache:
    """A DynamicCache for `rows` rows whose full-attention layers hold `capacity` positions in place
    (sliding-window or other layers keep transformers' own class). `prefix`: [(keys, values)] per
    layer, batch 1 (PrefixCache.layers), copied into every row."""
    cache = DynamicCache(config=model.config)
    if len(cache.layers) == 0:  # no config-driven layers (an unusual model): transformers' lazy default
        return cache if prefix is None else DynamicCache(
            ddp_cache_data=[(k.expand(rows, -1, -1, -1), v.expand(rows, -1, -1, -1)) for k, v in prefix])
    if prefix is not None and len(prefix) != len(cache.layers):
        raise ValueError(f"prefix has {len(prefix)} layers, the model {len(cache.layers)}")
    layers = []
    for i, layer in enumerate(cache.layers):
        if type(layer) is DynamicLayer:
            layer = PreallocatedLayer(capacity, prefix[i] if prefix is not None else None, rows)
        elif prefix is not None:
            layer.update(prefix[i][0].expand(rows, -1, -1, -1), prefix[i][1].expand(rows, -1, -1, -1))
        layers.append(layer)
    cache.layers = layers
    return cache


def refill(cache: DynamicCache, keep, width: int, length: int, rows: int, gap_from: int) -> None:
    """PreallocatedLayer.refill on every layer of `cache` (from preallocated_cache, `windowed`)."""
    if not windowed(cache):
        raise ValueError("refill needs a cache whose layers are all PreallocatedLayer")
    for layer in cache.layers:
        layer.refill(keep, width, length, rows, gap_from)


def set_length(cache: DynamicCache, length: int) -> None:
    """After its rows were prefilled through row_window: `cache` holds `length` positions in every row."""
    for layer in cache.layers:
        layer._view(length)
