"""Capacity for answering: a bounded number of answers run, a bounded number wait, the rest
are told to come back later.

Why: an answer holds a request thread for many seconds while the decoder (one engine lock
per process) writes it. Without a bound, a burst of questions takes every gunicorn thread
and health checks and searches wait behind them (measured: `/healthz` timing out, search
at 15 s median). With it, at most `ANSWER_CONCURRENCY + ANSWER_QUEUE` threads per process
are ever busy with answers, the rest stay free for everything else, and a question beyond
that is refused at once with a `Retry-After` instead of a 50-second wait. A waiting
question that does not get a slot within `ANSWER_QUEUE_TIMEOUT` seconds is refused too.

Use: `with answer_slot(): ...` around a blocking answer, or `stream_in_slot(events)` for a
streamed one (the slot is held until the stream ends or the client goes away). Both raise
`AnswerCapacityExceeded` (with `retry_after` in seconds) before any work starts; the views
turn it into 503 + Retry-After. Per process: with WEB_WORKERS processes the server-wide
limits are that many times these.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from django.conf import settings

T = TypeVar("T")


class AnswerCapacityExceeded(Exception):
    """Every answer slot is busy and the wait queue is full (or the wait timed out)."""

    def __init__(self, retry_after: int, reason: str) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Capacity:
    """`slots` answers at once; up to `queue` more wait, each at most `timeout` seconds."""

    def __init__(self, slots: int, queue: int, timeout: float) -> None:
        self.slots, self.queue, self.timeout = slots, queue, timeout
        self._free = threading.BoundedSemaphore(slots)
        self._lock = threading.Lock()
        self.running = 0
        self.waiting = 0
        # Recent answer durations, for an honest Retry-After.
        self._recent: list[float] = []

    def retry_after(self) -> int:
        typical = sorted(self._recent)[len(self._recent) // 2] if self._recent else 10.0
        ahead = (self.waiting + self.running) / max(1, self.slots)
        return max(1, min(300, math.ceil(typical * max(1.0, ahead))))

    @contextmanager
    def slot(self) -> Iterator[None]:
        with self._lock:
            got = self._free.acquire(blocking=False)
            if not got:
                if self.waiting >= self.queue:
                    raise AnswerCapacityExceeded(
                        self.retry_after(),
                        f"all {self.slots} answer slots are busy and {self.waiting} questions wait",
                    )
                self.waiting += 1
        if not got:
            try:
                got = self._free.acquire(timeout=self.timeout)
            finally:
                with self._lock:
                    self.waiting -= 1
            if not got:
                raise AnswerCapacityExceeded(
                    self.retry_after(), f"no answer slot became free within {self.timeout:g} s"
                )
        with self._lock:
            self.running += 1
        began = time.monotonic()
        try:
            yield
        finally:
            with self._lock:
                self.running -= 1
                self._recent = [*self._recent[-19:], time.monotonic() - began]
            self._free.release()


_capacity: Capacity | None = None
_capacity_lock = threading.Lock()


def get_answer_capacity() -> Capacity:
    """This process's answering capacity, sized from settings on first use."""
    global _capacity
    with _capacity_lock:
        if _capacity is None:
            _capacity = Capacity(
                settings.ANSWER_CONCURRENCY, settings.ANSWER_QUEUE, settings.ANSWER_QUEUE_TIMEOUT
            )
        return _capacity


def reset_answer_capacity() -> None:
    """Forget the capacity (tests change the settings)."""
    global _capacity
    with _capacity_lock:
        _capacity = None


@contextmanager
def answer_slot() -> Iterator[None]:
    """Hold one answer slot for the block; raises AnswerCapacityExceeded if none can be had."""
    with get_answer_capacity().slot():
        yield


class SlotStream(Iterator[T]):
    """An event stream that holds an answer slot until it ends, fails or is closed.

    A class rather than a generator: a generator that never started ignores `close()`, and
    a response that is closed before its first event (the client left at once) must still
    give the slot back. Django's `StreamingHttpResponse` closes its iterator when done.
    """

    def __init__(self, events: Iterator[T], capacity: Capacity) -> None:
        self._open = False
        self._events = events
        self._slot = capacity.slot()
        self._slot.__enter__()  # raises AnswerCapacityExceeded here, before any event
        self._open = True

    def __next__(self) -> T:
        try:
            return next(self._events)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if not self._open:
            return
        self._open = False
        try:
            close = getattr(self._events, "close", None)
            if close is not None:
                close()
        finally:
            self._slot.__exit__(None, None, None)

    def __del__(self) -> None:
        self.close()


def stream_in_slot(events: Iterator[T]) -> SlotStream[T]:
    """Take a slot now (raising AnswerCapacityExceeded before any event) and hold it while
    `events` runs; released when the stream ends, fails or is closed (the client went away)."""
    return SlotStream(events, get_answer_capacity())
