"""Reusable KV caches: a cached sequence of token ids with its DynamicCache, and an LRU of them.

A `CachedSequence` is only ever read: users get a deep copy (`fork`), so a shared entry such
as the system prefix can never be changed by the request that reuses it. Reuse is decided by
comparing token ids, never text: the longest common prefix of the cached ids and the new
prompt's ids is kept, the rest of the copy is cropped away.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from transformers import DynamicCache


def cache_nbytes(cache: DynamicCache) -> int:
    total = 0
    for layer in cache.layers:
        for t in (getattr(layer, "keys", None), getattr(layer, "values", None)):
            if isinstance(t, torch.Tensor):
                total += t.numel() * t.element_size()
    return total


def common_prefix_len(a: Sequence[int], b: Sequence[int]) -> int:
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


@dataclass(frozen=True)
class CachedSequence:
    """KV of `ids` (cache length == len(ids)); treat as immutable."""

    ids: tuple[int, ...]
    cache: DynamicCache

    def __post_init__(self) -> None:
        assert self.cache.get_seq_length() == len(self.ids), "cache and ids disagree"

    @property
    def nbytes(self) -> int:
        return cache_nbytes(self.cache)

    def reusable_len(self, prompt_ids: Sequence[int]) -> int:
        """How many leading prompt tokens this KV is exact for. At least one prompt token is
        always left to compute, since its logits give the first answer token."""
        return min(common_prefix_len(self.ids, prompt_ids), len(prompt_ids) - 1)

    def fork(self, length: int) -> DynamicCache:
        """A private copy holding the first `length` positions; this entry stays as it was."""
        return _crop(copy.deepcopy(self.cache), len(self.ids), length)

    def consume(self, length: int) -> DynamicCache:
        """This entry's own cache cropped to `length`: only for an entry nobody else holds
        (one taken out of `ConversationCaches`)."""
        return _crop(self.cache, len(self.ids), length)


def _crop(cache: DynamicCache, have: int, keep: int) -> DynamicCache:
    if keep < have:
        cache.crop(keep - have)  # a negative count: tokens to remove from the end
    return cache


class ConversationCaches:
    """LRU of each conversation's last sequence (prompt + answer), bounded in entries and bytes.

    `take` removes the entry: a follow-up turn owns the cache it continues from, then `put`s
    its own. Two concurrent requests on one conversation cannot share it; the second simply
    finds nothing and falls back to the system prefix.
    """

    def __init__(self, max_entries: int = 16, max_bytes: int = 512 * 2**20):
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._entries: OrderedDict[str, tuple[tuple[int, ...], DynamicCache, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def nbytes(self) -> int:
        return sum(size for _, _, size in self._entries.values())

    def take(self, key: str) -> CachedSequence | None:
        with self._lock:
            entry = self._entries.pop(key, None)
        return None if entry is None else CachedSequence(entry[0], entry[1])

    def put(self, key: str, ids: Sequence[int], cache: DynamicCache) -> None:
        size = cache_nbytes(cache)
        if size > self.max_bytes or self.max_entries < 1:
            return
        with self._lock:
            self._entries.pop(key, None)
            self._entries[key] = (tuple(ids), cache, size)
            while len(self._entries) > self.max_entries or self.nbytes > self.max_bytes:
                self._entries.popitem(last=False)  # least recently used first
