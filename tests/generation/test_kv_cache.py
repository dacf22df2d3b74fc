"""Cached sequences and the conversation LRU, on small real DynamicCaches."""

import torch
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer

from generation.kv_cache import CachedSequence, ConversationCaches, cache_nbytes, common_prefix_len


def make_cache(length: int, layers: int = 2) -> DynamicCache:
    cache = DynamicCache()
    for layer in range(layers):
        k = torch.arange(length, dtype=torch.float32).reshape(1, 1, length, 1).repeat(1, 2, 1, 4)
        cache.update(k, -k, layer)  # (batch, kv heads, length, head dim)
    return cache


def layer_keys(cache: DynamicCache) -> list[torch.Tensor]:
    """The key tensor of each layer (all DynamicLayers, filled, in these tests)."""
    keys = []
    for layer in cache.layers:
        assert isinstance(layer, DynamicLayer) and layer.keys is not None
        keys.append(layer.keys)
    return keys


def test_common_prefix_and_reusable_length():
    assert common_prefix_len([1, 2, 3], [1, 2, 4, 5]) == 2
    assert common_prefix_len([1, 2], [1, 2, 3]) == 2
    seq = CachedSequence((1, 2, 3, 4), make_cache(4))
    assert seq.reusable_len([1, 2, 9]) == 2
    assert seq.reusable_len([1, 2, 3, 4]) == 3  # one prompt token is always recomputed
    assert seq.reusable_len([1, 2, 3, 4, 5, 6]) == 4


def test_fork_copies_and_crops_without_touching_the_original():
    seq = CachedSequence((1, 2, 3, 4, 5), make_cache(5))
    before = [keys.clone() for keys in layer_keys(seq.cache)]
    fork = seq.fork(3)
    assert fork.get_seq_length() == 3
    fork.update(torch.zeros(1, 2, 1, 4), torch.zeros(1, 2, 1, 4), 0)
    assert seq.cache.get_seq_length() == 5
    assert all(torch.equal(b, keys) for b, keys in zip(before, layer_keys(seq.cache), strict=True))
    owned = CachedSequence((1, 2, 3, 4, 5), make_cache(5)).consume(2)
    assert owned.get_seq_length() == 2


def test_lru_take_removes_and_bounds_evict_least_recent():
    size = cache_nbytes(make_cache(4))
    assert size == 2 * 2 * (1 * 2 * 4 * 4) * 4  # layers x (k, v) x elements x float32
    lru = ConversationCaches(max_entries=2, max_bytes=10 * size)
    for key in ("a", "b", "c"):
        lru.put(key, (1, 2, 3, 4), make_cache(4))
    assert len(lru) == 2 and lru.take("a") is None  # "a" was evicted by entry count
    taken = lru.take("b")
    assert taken is not None and taken.ids == (1, 2, 3, 4)
    assert lru.take("b") is None and len(lru) == 1

    by_bytes = ConversationCaches(max_entries=10, max_bytes=int(2.5 * size))
    for key in ("a", "b", "c"):
        by_bytes.put(key, (1, 2, 3, 4), make_cache(4))
    assert len(by_bytes) == 2 and by_bytes.nbytes <= 2.5 * size
    assert by_bytes.take("a") is None
    by_bytes.put("huge", tuple(range(40)), make_cache(40))  # larger than the bound: not kept
    assert by_bytes.take("huge") is None
