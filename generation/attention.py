"""Attention of each answer token over the prompt's passages, captured during generation.

The model runs with the `groundwork` attention implementation registered here: SDPA for
prefill, and for passes of a few queries (decode steps) the same attention as two small
matmuls (`narrow_attention`), which CPU SDPA is slow at; when a recorder is passed to the
forward call it also keeps, for the chosen layers only, the softmax row of the *last*
query over all keys. That row is the attention of the token being predicted: for the prefill
it is the prompt's last position (which produces answer token 0), for each decode step the
single query. Full (heads x T x T) weight tensors are never formed or kept; each step
reduces to one (T,) row, then to per-passage mass and a top-k of passage tokens.

Default layers: the upper-middle of the stack, [L/2, 5L/6). Lower layers attend mostly to
nearby tokens and syntax, the top layers concentrate on the attention sink and next-token
form; the upper-middle ones are where retrieval-like heads that copy from the context tend to
sit. docs/generation.md has the measurement for the default model.
"""

from __future__ import annotations

from typing import Any

import torch
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import AttentionMaskInterface, sdpa_mask
from transformers.modeling_utils import AttentionInterface

from generation.attention_map import AttentionMap
from generation.cpu import NARROW_PASS
from generation.prompt import Prompt

ATTN_IMPLEMENTATION = "groundwork"
RECORDER_KWARG = "attention_recorder"


def default_layers(num_layers: int) -> tuple[int, ...]:
    return tuple(range(num_layers // 2, (5 * num_layers) // 6))


class AttentionRecorder:
    """Sums, over the chosen layers, the head-averaged attention rows of the last `queries`
    queries of a forward pass (1 for prefill and plain decoding; more when several copied
    tokens are verified in one pass)."""

    def __init__(self, layers: tuple[int, ...]):
        self.layers = frozenset(layers)
        self.queries = 1
        self._sum: torch.Tensor | None = None  # (queries, T)
        self._count = 0

    def record(self, layer: int, rows: torch.Tensor) -> None:
        self._sum = rows if self._sum is None else self._sum + rows
        self._count += 1

    def take(self) -> torch.Tensor:
        """The mean rows over the recorded layers, (queries, T) float32; resets."""
        assert self._sum is not None and self._count == len(self.layers), "layers missed"
        rows, self._sum, self._count = self._sum / self._count, None, 0
        return rows


def _masked_scores(
    query: torch.Tensor, key: torch.Tensor, mask: torch.Tensor | None, scaling: float, n: int
) -> torch.Tensor:
    """Scores of the last `n` queries over all keys, masked: (Hkv, G, n, T), float32.

    query (1, H, Q, D), key (1, Hkv, T, D). Grouped heads share a key head, so the queries
    are folded into (Hkv, G = H/Hkv) instead of repeating the keys. The last `n` queries sit
    at key positions T-n .. T-1 and see keys up to their own position (causal).
    """
    _, n_heads, _, dim = query.shape
    n_kv, t = key.shape[1], key.shape[2]
    q = query[0, :, -n:, :].reshape(n_kv, n_heads // n_kv, n, dim).float()  # (Hkv, G, n, D)
    scores = torch.einsum("kgnd,ktd->kgnt", q, key[0].float()) * scaling  # (Hkv, G, n, T)
    if mask is not None:  # SDPA masks are bool (True = attend) or additive floats
        last = mask[0, 0, -n:, :t]  # (n, T)
        scores = scores.masked_fill(~last, float("-inf")) if last.dtype == torch.bool else scores + last
    if n > 1:  # SDPA may run is_causal without a mask: apply causality here either way
        ahead = torch.arange(t)[None, :] > (t - n + torch.arange(n))[:, None]  # (n, T)
        scores = scores.masked_fill(ahead, float("-inf"))
    return scores


def last_rows_attention(
    query: torch.Tensor, key: torch.Tensor, mask: torch.Tensor | None, scaling: float, n: int = 1
) -> torch.Tensor:
    """Head-mean softmax attention of the last `n` queries over all keys: (n, T)."""
    return _masked_scores(query, key, mask, scaling, n).softmax(dim=-1).mean(dim=(0, 1))


def narrow_attention(
    query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, mask: torch.Tensor | None, scaling: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Attention for a few queries (decode steps, verified drafts) as two small matmuls.

    query (1, H, Q, D), key/value (1, Hkv, T, D) -> output (1, Q, H, D) in the query's
    dtype, as SDPA returns it, and the softmax weights (Hkv, G, Q, T) for capture. PyTorch's
    CPU flash-attention kernel is built for long queries: at one query over 1,000 keys it
    took 60% of a decode step here, several times what these matmuls take
    (docs/generation.md).
    """
    n_queries, n_heads = query.shape[2], query.shape[1]
    weights = _masked_scores(query, key, mask, scaling, n_queries).softmax(dim=-1)  # (Hkv, G, Q, T)
    out = torch.einsum("kgqt,ktd->kgqd", weights, value[0].float())  # (Hkv, G, Q, D)
    out = out.reshape(n_heads, n_queries, -1).transpose(0, 1)[None]  # (1, Q, H, D)
    return out.to(query.dtype).contiguous(), weights


def capture_attention_forward(
    module: torch.nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    **kwargs: Any,
) -> tuple[torch.Tensor, None]:
    recorder: AttentionRecorder | None = kwargs.pop(RECORDER_KWARG, None)
    layer = int(getattr(module, "layer_idx", -1))
    capture = recorder is not None and layer in recorder.layers
    scaling = kwargs.get("scaling") or query.shape[-1] ** -0.5
    plain = query.shape[0] == 1 and not kwargs.get("sliding_window") and not kwargs.get("softcap")
    if plain and query.shape[2] <= NARROW_PASS:
        out, weights = narrow_attention(query, key, value, attention_mask, scaling)
        if capture:
            assert recorder is not None
            n = recorder.queries
            recorder.record(layer, weights[:, :, -n:, :].mean(dim=(0, 1)))
        return out, None
    out, _ = sdpa_attention_forward(module, query, key, value, attention_mask, **kwargs)
    if capture:
        assert recorder is not None
        recorder.record(layer, last_rows_attention(query, key, attention_mask, scaling, recorder.queries))
    return out, None


AttentionInterface.register(ATTN_IMPLEMENTATION, capture_attention_forward)
# Masks are built exactly as for SDPA, which is what runs underneath.
AttentionMaskInterface.register(ATTN_IMPLEMENTATION, sdpa_mask)


class AttentionMapBuilder:
    """Reduces each step's prompt row to passage mass and top passage tokens, as it comes."""

    def __init__(self, prompt: Prompt, layers: tuple[int, ...], top_k: int):
        self.layers, self.top_k, self.prompt_len = layers, top_k, len(prompt)
        self.n_passages = len(prompt.passages)
        positions = [torch.arange(a, b) for a, b in prompt.passage_ranges]
        # Flattened passage tokens: prompt position, owning passage, char span in its text.
        self.positions = torch.cat(positions) if positions else torch.zeros(0, dtype=torch.long)
        self.owner = (
            torch.cat([torch.full((len(p),), i, dtype=torch.long) for i, p in enumerate(positions)])
            if positions
            else torch.zeros(0, dtype=torch.long)
        )
        self.spans = [span for offsets in prompt.passage_offsets for span in offsets]
        self.mass: list[tuple[float, ...]] = []
        self.top: list[tuple[tuple[int, int, int, float], ...]] = []

    def add(self, row: torch.Tensor) -> None:
        """row: (T,) attention of one answer token over everything before it."""
        weights = row[: self.prompt_len][self.positions]  # (N passage tokens,)
        mass = torch.zeros(self.n_passages).index_add_(0, self.owner, weights)
        self.mass.append(tuple(round(float(m), 4) for m in mass))
        k = min(self.top_k, len(weights))
        top_w, top_i = weights.topk(k)
        self.top.append(
            tuple(
                (int(self.owner[i]), *self.spans[i], round(float(w), 4))
                for w, i in zip(top_w.tolist(), top_i.tolist(), strict=True)
            )
        )

    def build(self, token_spans: list[tuple[int, int]]) -> AttentionMap:
        n = len(token_spans)
        return AttentionMap(
            layers=self.layers,
            token_spans=tuple(token_spans),
            passage_mass=tuple(self.mass[:n]),
            top_spans=tuple(self.top[:n]),
        )
