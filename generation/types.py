"""The dataclasses at the edge of the generation package.

Everything the web layer hands in or gets back is one of these: plain, frozen, typed values,
so `generation/` never needs to know about Django models or request objects.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from generation.attention_map import AttentionMap

# "repeat": the decoder began repeating itself and was stopped where the repeat starts.
FinishReason = Literal["eos", "stop", "length", "repeat", "cancelled"]
# "model": a marker the model wrote; "attention": attributed from attention mass;
# "copy": the claim was copied verbatim from the passage (constrained decoding);
# "support": a free-written claim that checking found in the passage.
CitationKind = Literal["model", "attention", "copy", "support"]


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk handed to the prompt. Lists of passages are ranked best first."""

    chunk_id: int
    text: str
    title: str
    page: int | None = None
    heading: str = ""
    score: float = 0.0


@dataclass(frozen=True)
class Turn:
    """An earlier turn of the conversation.

    `passages` must be the passages that turn's prompt actually used (its `Answer.passages`,
    after budget dropping), so that the re-built prompt repeats it token for token and the
    conversation's KV cache can be reused.
    """

    question: str
    answer: str
    passages: tuple[Passage, ...] = ()


@dataclass(frozen=True)
class GenerationConfig:
    max_new_tokens: int = 256
    # 0 means greedy: argmax at every step, bit-for-bit what `model.generate` does.
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int | None = None
    # Text that ends the answer; it is cut from the answer and never streamed.
    stop: tuple[str, ...] = ("\nQuestion:", "\nSources:")
    capture_attention: bool = True
    # None picks `attention.default_layers(num_layers)`: the upper-middle third of the stack.
    attention_layers: tuple[int, ...] | None = None
    # Per answer token, how many passage tokens keep their weight in the stored map.
    attention_top_k: int = 32
    # Sentences the model left uncited get the passage they attended to most, as
    # kind="attention" citations (needs capture_attention). See citations.attribute_by_attention.
    attention_citations: bool = True
    attention_min_mass: float = 0.03
    # Constrained decoding: the answer is one span copied verbatim from the first
    # `copy_passages` passages of the prompt (0: free writing). The others stay in the prompt
    # as context. With the bundled 135M model, letting it choose among several quotes picked
    # the one holding the answer barely better than chance (docs/evaluation.md), so the app
    # copies from the top-ranked quote only.
    copy_passages: int = 0
    # Copies start at the start of a passage (False) or at any of its tokens (True).
    copy_anywhere: bool = False
    # One span from each of the `copy_passages` passages in turn, joined by a space, instead
    # of one span from any of them: a question asking how two things differ, whose first
    # quotes are one about each side, is answered by both (the app decides:
    # `answers.copied_quotes`).
    copy_each: bool = False
    # Greedy: feed the tokens likely to come next (a copy's forced run, or a prompt-lookup
    # draft in free writing) and verify them in one forward pass. The output is the same.
    speculative: bool = True
    # Stop when the last `repeat_window` words occurred before (or a sentence repeats); 0: off.
    repeat_window: int = 8
    # Benchmarks only: keep going past EOS so every run decodes exactly max_new_tokens.
    ignore_eos: bool = False
    # Off only to measure what reuse saves: the output is the same either way.
    reuse_cache: bool = True

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1:
            raise ValueError("max_new_tokens must be at least 1")
        if self.temperature < 0:
            raise ValueError("temperature must be >= 0")
        if self.copy_passages < 0:
            raise ValueError("copy_passages must be >= 0")
        if not 0 < self.top_p <= 1:
            raise ValueError("top_p must be in (0, 1]")


@dataclass(frozen=True)
class Citation:
    """A source marker in the answer, resolved to a passage of the prompt.

    `kind="model"`: the model wrote the marker. `kind="attention"`: no marker was written and
    the passage was attributed from attention mass instead; its marker span is then empty
    (start == end) and placed at the end of the claim.
    """

    index: int  # 1-based number of the passage in the prompt, as shown to the model
    chunk_id: int
    marker_start: int
    marker_end: int
    claim_start: int
    claim_end: int
    kind: CitationKind = "model"
    # [start, end) of the characters of the passage's text that the claim rests on, when
    # known ("copy": exactly what was copied; "support": the passage sentence that holds it).
    quote: tuple[int, int] | None = None


@dataclass(frozen=True)
class SentenceCheck:
    """One sentence of the answer, checked against the passages of its prompt.

    `supported`: its content words are found in one passage (`passage`, 1-based, with the
    `support` share of its words found there); unsupported sentences are shown as "not
    found in your documents".
    """

    start: int  # [start, end) in the answer text
    end: int
    supported: bool
    passage: int | None
    support: float


@dataclass(frozen=True)
class TokenEvent:
    """One generated token. `text` is the newly stable text (may be empty while a
    multi-byte character or a possible stop string is still incomplete)."""

    text: str
    token_id: int


@dataclass(frozen=True)
class GenerationStats:
    prompt_tokens: int
    reused_prefix_tokens: int  # prompt tokens whose KV came from a cache instead of a forward pass
    reuse_source: Literal["none", "system", "conversation"]
    generated_tokens: int
    time_to_first_token_s: float
    decode_tokens_per_s: float  # tokens after the first, over the time after the first
    total_s: float
    dropped_passages: int = 0  # current-turn passages the token budget left out
    dropped_turns: int = 0  # earlier turns the token budget left out


@dataclass(frozen=True)
class Answer:
    """The final event of a stream."""

    text: str
    finish_reason: FinishReason
    citations: tuple[Citation, ...]
    passages: tuple[Passage, ...]  # exactly the passages in the prompt, numbered [1].. in order
    stats: GenerationStats
    token_ids: tuple[int, ...]  # every generated id, the final EOS included
    attention: AttentionMap | None = None
    # (number, start, end) of markers naming no passage; left in the text as written.
    unresolved_markers: tuple[tuple[int, int, int], ...] = field(default=())
    checks: tuple[SentenceCheck, ...] = ()


Event = TokenEvent | Answer


def final_answer(events: Generator[Event, None, None]) -> Answer:
    """Run a stream to its end (closing it either way) and return its Answer."""
    try:
        for event in events:
            if isinstance(event, Answer):
                return event
    finally:
        events.close()
    raise RuntimeError("the stream ended without an Answer")


class AnswerEngine(Protocol):
    """What the answering service needs of a decoder: `engine.Engine` is the real one; tests
    hand in others (a failing one, to see every client report the same error)."""

    def stream(
        self,
        question: str,
        passages: Sequence[Passage],
        history: Sequence[Turn] = (),
        config: GenerationConfig | None = None,
        conversation_key: str | None = None,
    ) -> Generator[Event, None, None]: ...

    def question_likelihood(self, question: str, texts: Sequence[str]) -> list[float]:
        """Per text, the mean log-probability of the question given the text."""
        ...
