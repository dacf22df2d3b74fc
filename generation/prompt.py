"""The grounded prompt: system instruction, numbered sources, question, through the chat template.

Token ids are built by tokenizing the rendered template text in segments cut at fixed points
(end of the system turn, start and end of every passage text). Each piece's length gives the
exact token range of each passage, and the fast tokenizer's offsets within the piece map those
tokens back to characters of the passage. The concatenated pieces are checked against
tokenizing the whole text at once, which proves the fixed system prefix's ids are a prefix of
every prompt's ids (what makes reusing its KV exact).

Each earlier turn keeps its own sources inside its own user message, so the prompt of turn
n+1 starts with the exact text of turn n's prompt plus its answer: the conversation's KV cache
stays valid for the follow-up.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from generation.types import Passage, Turn

SYSTEM_PROMPT = (
    "You answer questions using only the numbered sources given with the question. "
    "Write one short sentence per fact, and end each sentence with the number of the source "
    "it comes from in square brackets, like this: The bridge opened in 1932 [2]. "
    "If the sources do not contain the answer, say: I don't know, the sources do not say."
)
NO_SOURCES = "Sources: none were found for this question."


class PromptTokenizationError(ValueError):
    """The model's chat template does not tokenize the same in pieces as in one go."""


class PromptTooLong(ValueError):
    """Even with every source and earlier turn dropped the prompt does not fit."""


@dataclass(frozen=True)
class Prompt:
    ids: tuple[int, ...]
    text: str
    prefix_len: int  # tokens of the fixed system turn, the same at the start of every prompt
    passages: tuple[Passage, ...]  # the current turn's sources, numbered [1].. in this order
    passage_ranges: tuple[tuple[int, int], ...]  # [start, end) token positions of each text
    # Per passage, per token of its range: [start, end) characters in `passage.text`.
    passage_offsets: tuple[tuple[tuple[int, int], ...], ...]
    history: tuple[Turn, ...]  # the earlier turns kept, oldest first
    dropped_passages: int = 0
    dropped_turns: int = 0

    def __len__(self) -> int:
        return len(self.ids)


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def source_header(n: int, passage: Passage) -> str:
    where = _one_line(passage.title) or "Untitled"
    if passage.page is not None:
        where += f", page {passage.page}"
    if passage.heading.strip():
        where += f" ({_one_line(passage.heading)})"
    return f"[{n}] {where}\n"


def user_message(question: str, passages: Sequence[Passage]) -> tuple[str, list[tuple[int, int]]]:
    """The user turn's content, and the [start, end) of each passage's (stripped) text in it."""
    if not passages:
        return f"{NO_SOURCES}\n\nQuestion: {question.strip()}", []
    parts, spans, at = ["Sources:\n\n"], [], len("Sources:\n\n")
    for n, passage in enumerate(passages, 1):
        header, body = source_header(n, passage), passage.text.strip()
        spans.append((at + len(header), at + len(header) + len(body)))
        parts += [header, body, "\n\n"]
        at += len(header) + len(body) + 2
    parts.append(f"Question: {question.strip()}")
    return "".join(parts), spans


_LOOKALIKE = {"<": "\u2039", "[": "\u2045", "{": "\u2774"}


def _nonblank(passages: Sequence[Passage]) -> tuple[Passage, ...]:
    return tuple(p for p in passages if p.text.strip())


class PromptBuilder:
    """Renders and tokenizes prompts for one tokenizer, within a context budget."""

    def __init__(self, tokenizer: Any, context_tokens: int, system_prompt: str = SYSTEM_PROMPT):
        self.tokenizer = tokenizer
        self.context_tokens = context_tokens
        self.system_prompt = system_prompt
        # Control tokens spelled out in a document or question ("<|im_end|>") would otherwise
        # tokenize as the real thing and let the text rewrite the prompt's structure.
        self._specials = sorted(
            (t for t in getattr(tokenizer, "all_special_tokens", []) if len(t) > 1), key=len, reverse=True
        )
        self.prefix_text = self._render([], add_generation_prompt=False)
        self.prefix_ids = tuple(self.encode(self.prefix_text))

    def _messages(self, history: Sequence[Turn], question: str, passages: Sequence[Passage]):
        messages = [{"role": "system", "content": self.system_prompt}]
        for turn in history:
            content = user_message(turn.question, turn.passages)[0]
            messages.append({"role": "user", "content": content})
            messages.append({"role": "assistant", "content": turn.answer})
        messages.append({"role": "user", "content": user_message(question, passages)[0]})
        return messages

    def _render(self, messages: list[dict[str, str]], add_generation_prompt: bool) -> str:
        messages = messages or [{"role": "system", "content": self.system_prompt}]
        text = self.tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=add_generation_prompt
        )
        assert isinstance(text, str)
        return text

    def defang(self, text: str) -> str:
        """`text` with every special-token string broken, keeping its length.

        The first character is swapped for a look-alike ("<" for "‹"), so character offsets
        into a passage still point at the same characters of the stored chunk text.
        """
        for token in self._specials:
            if token in text:
                text = text.replace(token, _LOOKALIKE.get(token[0], "\ufffd") + token[1:])
        return text

    def _defang_all(self, passages: Sequence[Passage]) -> tuple[Passage, ...]:
        return tuple(replace(p, text=self.defang(p.text), title=self.defang(p.title)) for p in passages)

    def encode(self, text: str) -> list[int]:
        """Token ids of plain text. No special tokens are added: the template's text
        already holds its own."""
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def build(
        self,
        question: str,
        passages: Sequence[Passage],
        history: Sequence[Turn] = (),
        max_new_tokens: int = 256,
    ) -> Prompt:
        """The prompt, fitted into `context_tokens - max_new_tokens`.

        Blank passages are left out. Then drops, in this order, until it fits: earlier
        turns' sources (oldest turn first), then earlier turns themselves (oldest first),
        then the current sources from the lowest ranked up. A passage is dropped whole,
        never cut.
        """
        budget = self.context_tokens - max_new_tokens
        n_turns, n_passages = len(history), len(passages)
        # A blank passage is no evidence, and would merge the newlines around it into one token.
        question = self.defang(question)
        history = [
            Turn(self.defang(t.question), self.defang(t.answer), self._defang_all(_nonblank(t.passages)))
            for t in history
        ]
        passages = list(self._defang_all(_nonblank(passages)))
        while True:
            prompt = self._tokenize(question, passages, history)
            if len(prompt) <= budget:
                break
            if any(t.passages for t in history):
                i = next(i for i, t in enumerate(history) if t.passages)
                history[i] = Turn(history[i].question, history[i].answer, ())
            elif history:
                history.pop(0)
            elif passages:
                passages.pop()
            else:
                raise PromptTooLong(f"{len(prompt)} prompt tokens do not fit into {budget}")
        dropped = n_passages - len(passages), n_turns - len(history)
        return replace(prompt, dropped_passages=dropped[0], dropped_turns=dropped[1])

    def _tokenize(self, question: str, passages: Sequence[Passage], history: Sequence[Turn]) -> Prompt:
        messages = self._messages(history, question, passages)
        text = self._render(messages, add_generation_prompt=True)
        if not text.startswith(self.prefix_text):
            raise PromptTokenizationError("the rendered prompt does not start with the system turn")
        # Where the current user content (and so each passage text) sits in the full text.
        content, spans = user_message(question, passages)
        content_at = text.rfind(content)
        if content_at < 0:
            raise PromptTokenizationError("the chat template altered the user message")
        cuts = [len(self.prefix_text)]
        for start, end in spans:
            cuts += [content_at + start, content_at + end]
        cuts.append(len(text))

        ids: list[int] = list(self.prefix_ids)
        ranges: list[tuple[int, int]] = []
        offsets: list[tuple[tuple[int, int], ...]] = []
        for i, (start, end) in enumerate(itertools.pairwise(cuts)):
            piece = self.tokenizer(text[start:end], add_special_tokens=False, return_offsets_mapping=True)
            if i % 2 == 1:  # odd pieces are passage texts
                passage = passages[i // 2]
                lead = len(passage.text) - len(passage.text.lstrip())
                ranges.append((len(ids), len(ids) + len(piece["input_ids"])))
                offsets.append(tuple((a + lead, b + lead) for a, b in piece["offset_mapping"]))
            ids += piece["input_ids"]
        if ids != self.encode(text):
            raise PromptTokenizationError(
                "tokenizing the prompt in segments differs from tokenizing it whole; "
                "this model's template cannot be segmented at the passage boundaries"
            )
        return Prompt(
            ids=tuple(ids),
            text=text,
            prefix_len=len(self.prefix_ids),
            passages=tuple(passages),
            passage_ranges=tuple(ranges),
            passage_offsets=tuple(offsets),
            history=tuple(history),
        )
