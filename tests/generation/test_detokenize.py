"""Incremental detokenization: deltas concatenate to the full decode, stop strings cut."""

import itertools

from generation.detokenize import IncrementalDetokenizer

TEXTS = [
    "Plain ASCII answer [1].",
    "Accents: naïve café, Zürich; CJK 東京都; emoji 🙂👍🏽 and a flag 🇫🇷.",
    " leading space and\nnew lines\n\n  indented",
]


def stream(tokenizer, ids, stop=()):
    detok = IncrementalDetokenizer(tokenizer, stop)
    deltas = [detok.push(i) for i in ids]
    deltas.append(detok.finish())
    return deltas, detok


def test_deltas_concatenate_to_the_full_decode(tokenizer):
    for text in TEXTS:
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        deltas, detok = stream(tokenizer, ids)
        assert "".join(deltas) == tokenizer.decode(ids, skip_special_tokens=True)
        assert all("\ufffd" not in d for d in deltas)
        # every prefix of the stream is a prefix of the final text
        assert detok.final_text == text


def test_split_multibyte_character_is_held_until_complete(tokenizer):
    ids = tokenizer("🙂", add_special_tokens=False)["input_ids"]
    assert len(ids) > 1  # byte-level BPE splits this emoji: the case under test
    deltas, _ = stream(tokenizer, ids)
    assert deltas[:-2] == [""] * (len(ids) - 1) and "".join(deltas) == "🙂"


def test_special_tokens_are_skipped(tokenizer):
    ids = tokenizer("Hi<|im_end|>", add_special_tokens=False)["input_ids"]
    deltas, _ = stream(tokenizer, ids)
    assert "".join(deltas) == "Hi"


def test_stop_string_cuts_the_text_and_is_never_emitted(tokenizer):
    text = "The answer is 25 days [1].\nQuestion: something else"
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    detok = IncrementalDetokenizer(tokenizer, ("\nQuestion:",))
    deltas = []
    for i in ids:
        deltas.append(detok.push(i))
        if detok.stopped:
            break
    deltas.append(detok.finish())
    assert detok.stopped
    assert "".join(deltas) == detok.final_text == "The answer is 25 days [1]."


def test_held_back_stop_prefix_is_released_when_it_does_not_complete(tokenizer):
    text = "Line one.\nQuest for more."
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    deltas, detok = stream(tokenizer, ids, stop=("\nQuestion:",))
    assert not detok.stopped
    assert "".join(deltas) == text


def test_token_spans_cover_the_text(tokenizer):
    text = TEXTS[1]
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    _, detok = stream(tokenizer, ids)
    spans = detok.token_spans
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(a <= b for a, b in spans)
    assert all(b == a2 for (_, b), (a2, _) in itertools.pairwise(spans))
