"""Answering capacity: bounded slots, a bounded wait queue, refusals with Retry-After."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from app.services.capacity import (
    AnswerCapacityExceeded,
    Capacity,
    get_answer_capacity,
    reset_answer_capacity,
    stream_in_slot,
)


def _hold(capacity: Capacity, release: threading.Event, started: threading.Event, outcome: list[str]) -> None:
    try:
        with capacity.slot():
            outcome.append("ran")
            started.set()
            release.wait(10)
    except AnswerCapacityExceeded:
        outcome.append("refused")
        started.set()


def test_beyond_slots_and_queue_questions_are_refused_at_once() -> None:
    capacity = Capacity(slots=1, queue=1, timeout=10)
    release = threading.Event()
    first_started, second_started = threading.Event(), threading.Event()
    outcomes: list[str] = []
    first = threading.Thread(target=_hold, args=(capacity, release, first_started, outcomes))
    first.start()
    assert first_started.wait(5)
    second = threading.Thread(target=_hold, args=(capacity, release, second_started, outcomes))
    second.start()
    deadline = time.monotonic() + 5
    while capacity.waiting != 1:
        assert time.monotonic() < deadline
        time.sleep(0.01)

    began = time.monotonic()
    with pytest.raises(AnswerCapacityExceeded) as refused, capacity.slot():
        pass
    assert time.monotonic() - began < 0.1, "a full queue refuses at once, it does not wait"
    assert refused.value.retry_after >= 1

    release.set()
    first.join(5)
    second.join(5)
    assert outcomes == ["ran", "ran"]  # the waiting question got the slot when it freed
    assert (capacity.running, capacity.waiting) == (0, 0)


def test_a_wait_longer_than_the_timeout_is_refused() -> None:
    capacity = Capacity(slots=1, queue=5, timeout=0.2)
    with capacity.slot():
        began = time.monotonic()
        with pytest.raises(AnswerCapacityExceeded, match=r"within 0\.2 s"), capacity.slot():
            pass
        assert 0.15 < time.monotonic() - began < 2
    with capacity.slot():  # free again
        pass


def test_a_stream_holds_its_slot_until_closed(settings) -> None:  # type: ignore[no-untyped-def]
    settings.ANSWER_CONCURRENCY, settings.ANSWER_QUEUE, settings.ANSWER_QUEUE_TIMEOUT = 1, 0, 0.0
    reset_answer_capacity()
    try:
        closed: list[bool] = []

        def events() -> Iterator[str]:
            try:
                yield "start"
                yield "token"
            finally:
                closed.append(True)

        stream = stream_in_slot(events())
        assert get_answer_capacity().running == 1
        with pytest.raises(AnswerCapacityExceeded):
            stream_in_slot(iter(["refused before any event"]))
        assert next(stream) == "start"
        stream.close()  # the client went away mid-answer
        assert closed == [True] and get_answer_capacity().running == 0

        never_started = stream_in_slot(iter(["a"]))
        never_started.close()  # closed before its first event: the slot comes back too
        assert get_answer_capacity().running == 0
        assert list(stream_in_slot(iter(["a", "b"]))) == ["a", "b"]
        assert get_answer_capacity().running == 0
    finally:
        reset_answer_capacity()
