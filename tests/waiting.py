"""Waiting for a condition, never for a fixed time: the tests pass on a busy machine.

``until`` asks a condition again and again until it holds, backing off from 10 ms to 200 ms between tries.
The pause only paces the asking (so a server coming back is not flooded); how long anything takes is never
guessed, and the only limit is a deadline that fails the test, naming what it waited for.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

FIRST_PAUSE_S, LONGEST_PAUSE_S = 0.01, 0.2


def until(condition: Callable[[], T], what: str, timeout: float = 120.0) -> T:
    """The first truthy answer of ``condition()``; AssertionError naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    pause = FIRST_PAUSE_S
    while True:
        answer = condition()
        if answer:
            return answer
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"gave up waiting for {what} after {timeout:g} s")
        time.sleep(min(pause, left))
        pause = min(pause * 2, LONGEST_PAUSE_S)
