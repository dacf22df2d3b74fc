#!/usr/bin/env python3
"""Mixed load against a running server: N clients asking, N searching, one probing /healthz.

    scripts/load_probe.py http://127.0.0.1:8000 TOKEN --askers 10 --searchers 10 --seconds 180

All clients share one token, so raise the server's API_THROTTLE_RATE for the run (searches
answered 429 are counted apart, not as search times).

Prints /healthz latencies (every probe must answer within a second), search p50/p95, and how
answers fared: streamed to the end, or refused at once with 503 + Retry-After (the capacity
bound), never a long wait. Standard library only; loopback servers only (it is a benchmark,
not a test: the figures depend on the machine).
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
import urllib.error
import urllib.request

QUESTIONS = [
    "What did the storm carry away?",
    "Who built the lighthouse?",
    "When was the light automated?",
    "Where does the granite come from?",
]


def _post(url: str, token: str, body: dict, timeout: float) -> tuple[int, bytes, dict]:  # type: ignore[type-arg]
    request = urllib.request.Request(  # noqa: S310 (the base URL is checked to be loopback http)
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("base")
    parser.add_argument("token")
    parser.add_argument("--askers", type=int, default=10)
    parser.add_argument("--searchers", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=180)
    args = parser.parse_args()
    if not args.base.startswith(("http://127.", "http://localhost")):
        raise SystemExit("loopback servers only")
    stop = time.monotonic() + args.seconds
    lock = threading.Lock()
    health: list[float] = []
    health_bad: list[str] = []
    search: list[float] = []
    answers: dict[str, list[float]] = {"complete": [], "refused": [], "error": []}
    retry_after: list[str] = []

    def probe() -> None:
        while time.monotonic() < stop:
            began = time.monotonic()
            try:
                with urllib.request.urlopen(args.base + "/healthz", timeout=10) as response:  # noqa: S310
                    response.read()
            except urllib.error.HTTPError as error:
                with lock:
                    health_bad.append(f"{error.code}")
            except OSError as error:
                with lock:
                    health_bad.append(type(error).__name__)
            with lock:
                health.append(time.monotonic() - began)
            time.sleep(1)

    def searcher(i: int) -> None:
        while time.monotonic() < stop:
            began = time.monotonic()
            status, _, _ = _post(args.base + "/api/search/", args.token, {"query": QUESTIONS[i % 4]}, 60)
            with lock:
                if status == 200:  # a throttled (429) search is fast and says nothing of capacity
                    search.append(time.monotonic() - began)
                else:
                    answers["error"].append(float(status))

    def asker(i: int) -> None:
        while time.monotonic() < stop:
            began = time.monotonic()
            status, _, headers = _post(
                args.base + "/api/ask/", args.token, {"question": QUESTIONS[i % 4]}, 120
            )
            took = time.monotonic() - began
            with lock:
                if status == 200:
                    answers["complete"].append(took)
                elif status == 503:
                    answers["refused"].append(took)
                    retry_after.append(headers.get("Retry-After", "?"))
                else:
                    answers["error"].append(float(status))
            if status == 503:
                time.sleep(min(5.0, float(headers.get("Retry-After", "1") or 1)))

    threads = [threading.Thread(target=probe)]
    threads += [threading.Thread(target=searcher, args=(i,)) for i in range(args.searchers)]
    threads += [threading.Thread(target=asker, args=(i,)) for i in range(args.askers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    def spread(values: list[float]) -> str:
        if not values:
            return "none"
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        return f"n={len(values)} p50={statistics.median(values):.3f}s p95={p95:.3f}s max={ordered[-1]:.3f}s"

    print(f"/healthz: {spread(health)}; not 200: {len(health_bad)} {sorted(set(health_bad))}")
    print(f"search:   {spread(search)}")
    print(f"answers complete: {spread(answers['complete'])}")
    seen = sorted(set(retry_after))[:5]
    print(f"answers refused (503): {spread(answers['refused'])}; Retry-After seen: {seen}")
    print(f"other errors: {len(answers['error'])} {sorted(set(answers['error']))[:5]}")


if __name__ == "__main__":
    main()
