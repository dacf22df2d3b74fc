"""The generation loop: one prefill over the uncached prompt tail, then one token per step.

Written as a generator so the caller streams tokens as they come and stops the work by
closing it: nothing runs between two `next()` calls, and the model is only entered inside
`forward`, one step at a time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field

import torch
from transformers import DynamicCache

from generation.attention import AttentionMapBuilder, AttentionRecorder
from generation.copying import CopyConstraint
from generation.detokenize import IncrementalDetokenizer
from generation.drafting import prompt_lookup
from generation.types import FinishReason, GenerationConfig, TokenEvent

# forward(new ids, cache, recorder or None, keep) -> logits of the last `keep` positions, (keep, V)
Forward = Callable[[Sequence[int], DynamicCache, AttentionRecorder | None, int], torch.Tensor]
# Tokens fed ahead and verified per forward pass at most: a copy's forced run, or a
# prompt-lookup draft in free writing (whose guesses fail more often, so it risks fewer).
MAX_RUN = 16
MAX_DRAFT = 8


def sample_next(logits: torch.Tensor, config: GenerationConfig, generator: torch.Generator | None) -> int:
    """Greedy at temperature 0; else temperature + nucleus (top-p) sampling. logits: (V,)."""
    if config.temperature == 0:
        return int(logits.argmax())
    probs = (logits.float() / config.temperature).softmax(dim=-1)
    if config.top_p < 1:
        sorted_p, order = probs.sort(descending=True)
        # keep the smallest set whose mass reaches top_p (the top token always stays)
        outside = sorted_p.cumsum(0) - sorted_p >= config.top_p
        sorted_p[outside] = 0
        probs = torch.zeros_like(probs).scatter_(0, order, sorted_p)
    return int(torch.multinomial(probs, 1, generator=generator))


@dataclass
class DecodeState:
    """What the loop has produced so far; read by the caller after the loop ends or is closed."""

    token_ids: list[int] = field(default_factory=list)
    finish_reason: FinishReason = "cancelled"
    first_token_at: float | None = None
    last_token_at: float | None = None


def decode_tokens(
    forward: Forward,
    prompt_ids: Sequence[int],
    cache: DynamicCache,
    config: GenerationConfig,
    eos_ids: frozenset[int],
    detok: IncrementalDetokenizer,
    state: DecodeState,
    attention: AttentionMapBuilder | None = None,
    constraint: CopyConstraint | None = None,
) -> Generator[TokenEvent, None, None]:
    """Prefill `prompt_ids[cache length:]` into `cache`, then decode until EOS, a stop string,
    a repeat or `max_new_tokens`. With a `constraint`, every token is chosen among those it
    allows (the answer copies a span of the passages). Yields a TokenEvent per non-EOS token
    (and one for the EOS only when it flushes held-back text); the final token is never fed
    back, so on return the cache holds exactly `(prompt_ids + token_ids)[:cache length]`.

    Speculative steps (greedy, `config.speculative`): the chosen token is fed together with
    tokens guessed to follow it, and one forward pass gives the logits after each of them. In
    copy mode the guess is the copy's forced run (it can only continue one way); in free
    writing, a prompt-lookup draft (`drafting.prompt_lookup`). Each guessed token is then
    accepted only if the (masked) argmax picks it, exactly as one-token-at-a-time decoding
    would; at the first disagreement the unverified tail is cropped from the cache. So the
    output is the same, in fewer forward passes.
    """
    recorder = AttentionRecorder(attention.layers) if attention is not None else None
    generator = None
    if config.temperature > 0 and config.seed is not None:
        generator = torch.Generator().manual_seed(config.seed)
    speculate = config.temperature == 0 and config.speculative

    logits = forward(prompt_ids[cache.get_seq_length() :], cache, recorder, 1)  # prefill, (1, V)
    # Logits (and attention rows) computed but not yet used, oldest first, and the run tokens
    # fed ahead of being chosen: pending[i] follows ahead[i - 1] (pending[0] the last chosen).
    pending = list(zip(logits, _rows(recorder, 1), strict=True))
    ahead: list[int] = []
    try:
        for step in range(config.max_new_tokens):
            logits, row = pending.pop(0)
            if attention is not None and row is not None:
                attention.add(row)  # the row that produced this token
            if constraint is not None:
                logits = constraint.mask(logits)
            token = sample_next(logits, config, generator)
            if ahead:
                if token == ahead.pop(0):
                    pass  # verified: it is in the cache already, and so are the logits after it
                else:
                    cache.crop(-(1 + len(ahead)))  # the run diverged: drop the unverified tail
                    ahead.clear()
                    pending.clear()
            if constraint is not None:
                constraint.advance(token)
            state.token_ids.append(token)
            state.last_token_at = time.perf_counter()
            if state.first_token_at is None:
                state.first_token_at = state.last_token_at
            if token in eos_ids and not config.ignore_eos:
                # Text held back for a stop string or a repeat that never came is flushed with the EOS.
                tail = detok.finish()
                state.finish_reason = "repeat" if detok.repeated else "eos"
                if tail:
                    yield TokenEvent(tail, token)
                return
            delta = detok.push(token)
            if detok.stopped:
                state.finish_reason = "repeat" if detok.repeated else "stop"
                yield TokenEvent(delta, token)
                return
            if constraint is not None and constraint.exhausted:
                # The copied span reached the end of its passage: nothing else may follow.
                state.finish_reason = "eos"
                yield TokenEvent(delta + detok.finish(), token)
                return
            if step + 1 == config.max_new_tokens:
                tail = detok.finish()
                state.finish_reason = "repeat" if detok.repeated else "length"
                yield TokenEvent(delta + tail, token)
                return
            yield TokenEvent(delta, token)
            if pending:
                continue  # the token was fed ahead; the logits after it are waiting
            room = config.max_new_tokens - step - 2
            run = _guess(constraint, prompt_ids, state.token_ids, room) if speculate else []
            if recorder is not None:
                recorder.queries = 1 + len(run)
            logits = forward([token, *run], cache, recorder, 1 + len(run))  # (1 + run, V)
            pending = list(zip(logits, _rows(recorder, 1 + len(run)), strict=True))
            ahead = run
    finally:
        if ahead:  # fed ahead but never chosen: not part of the answer
            cache.crop(-len(ahead))


def _guess(
    constraint: CopyConstraint | None, prompt_ids: Sequence[int], token_ids: list[int], room: int
) -> list[int]:
    """The tokens to feed ahead of the one just chosen (`token_ids[-1]`), at most `room`."""
    if constraint is not None:
        return constraint.forced_run(min(MAX_RUN, room))
    return prompt_lookup([*prompt_ids, *token_ids], min(MAX_DRAFT, room))


def _rows(recorder: AttentionRecorder | None, n: int) -> list[torch.Tensor | None]:
    return list(recorder.take()) if recorder is not None else [None] * n
