"""Concurrency and cancellation: streams do not see each other's cache, closing stops work."""

import threading

from app.benchmarks.cases import CASES
from generation import Answer, GenerationConfig

CONFIG = GenerationConfig(max_new_tokens=16, stop=())


def test_two_threads_give_the_sequential_outputs(engine):
    cases = CASES[:2]
    sequential = [engine.answer(c.question, c.passages, config=CONFIG).token_ids for c in cases]
    results: dict[int, tuple[int, ...]] = {}
    start = threading.Barrier(len(cases))

    def work(i):
        start.wait()
        results[i] = engine.answer(cases[i].question, cases[i].passages, config=CONFIG).token_ids

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(cases))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert [results[i] for i in range(len(cases))] == sequential


def test_interleaved_streams_in_one_thread_do_not_mix(engine):
    a, b = CASES[2], CASES[3]
    expected = [engine.answer(c.question, c.passages, config=CONFIG).token_ids for c in (a, b)]
    streams = [engine.stream(c.question, c.passages, config=CONFIG) for c in (a, b)]
    finals: list[Answer | None] = [None, None]
    while any(f is None for f in finals):
        for i, s in enumerate(streams):
            if finals[i] is None:
                event = next(s)
                if isinstance(event, Answer):
                    finals[i] = event
    assert [f.token_ids for f in finals if f is not None] == expected


def test_closing_the_stream_stops_generation(engine):
    case = CASES[4]
    stream = engine.stream(case.question, case.passages, config=GenerationConfig(max_new_tokens=64))
    for _ in range(3):
        next(stream)
    passes = engine.forward_passes
    stream.close()
    assert engine.forward_passes == passes  # no forward pass after the close
    # the engine (and its lock) is still usable afterwards
    after = engine.answer(case.question, case.passages, config=GenerationConfig(max_new_tokens=2))
    assert after.stats.generated_tokens == 2
