"""A one-line progress bar on stderr for long evaluation phases (or nothing)."""

from __future__ import annotations

import sys
from typing import Any


class ProgressBar:
    """count/total, rate and ETA (tqdm), or a no-op when `enabled` is False."""

    def __init__(self, enabled: bool, total: int, desc: str, unit: str, initial: int = 0) -> None:
        self._bar: Any = None
        if enabled:
            from tqdm import tqdm

            self._bar = tqdm(
                total=total, initial=initial, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True
            )

    def update(self, n: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def set(self, phase: str, done: int, total: int) -> None:
        if self._bar is not None:
            if phase != self._bar.desc:
                self._bar.set_description(phase, refresh=False)
                self._bar.reset(total=total)
            self._bar.total = total
            self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
