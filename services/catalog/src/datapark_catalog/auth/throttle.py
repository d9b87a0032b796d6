"""What one source address may ask of the token endpoint, decided before any secret is hashed.

A source may have a few requests in progress at once and a budget of requests that did not
succeed per window (a request counts from the moment it arrives, refused or not, and is given
back when it succeeds, so a burst of concurrent guesses is cut off before it is hashed and
keeps its source throttled for the rest of the window). Nothing here is
stored: the counters live in the process, expire with their window, and are bounded in number
so a flood of distinct addresses cannot grow them without limit. (Each catalog replica keeps
its own; the lock-outs per client id, which must hold across replicas, are in the database.)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from datapark_kit.ratelimit import RateLimit


@dataclass
class _Source:
    window_started: float
    unsuccessful: int = 0
    in_flight: int = 0


class SourceThrottle:
    def __init__(
        self,
        *,
        max_unsuccessful: int,
        window_seconds: float,
        max_in_flight: int,
        max_sources: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_unsuccessful = max_unsuccessful
        self.window_seconds = window_seconds
        self.max_in_flight = max_in_flight
        self.max_sources = max_sources
        self.clock = clock
        self._sources: dict[str, _Source] = {}

    def __len__(self) -> int:
        return len(self._sources)

    def enter(self, source: str) -> int | None:
        """Admit a request from ``source`` (None), or the seconds to wait before retrying."""
        now = self.clock()
        entry = self._sources.get(source)
        if entry is None or now - entry.window_started >= self.window_seconds:
            in_flight = entry.in_flight if entry is not None else 0
            entry = _Source(window_started=now, in_flight=in_flight)
            self._sources.pop(source, None)
            self._prune(now)
            self._sources[source] = entry
        # A refused request is not a success either: it counts against the budget.
        entry.unsuccessful += 1
        if entry.unsuccessful > self.max_unsuccessful:
            return max(1, math.ceil(entry.window_started + self.window_seconds - now))
        if entry.in_flight >= self.max_in_flight:
            return 1
        entry.in_flight += 1
        return None

    def quota(self, source: str) -> RateLimit:
        """Where ``source`` stands against its budget of unsuccessful requests (sent as the
        ``RateLimit-*`` headers of each token answer)."""
        now = self.clock()
        entry = self._sources.get(source)
        window = math.ceil(self.window_seconds)
        if entry is None or now - entry.window_started >= self.window_seconds:
            return RateLimit(self.max_unsuccessful, self.max_unsuccessful, window, window)
        reset = max(0, math.ceil(entry.window_started + self.window_seconds - now))
        left = self.max_unsuccessful - entry.unsuccessful
        return RateLimit(self.max_unsuccessful, left, reset, window)

    def leave(self, source: str, *, succeeded: bool) -> None:
        """The admitted request is over; a success gives its place in the budget back."""
        entry = self._sources.get(source)
        if entry is None:
            return
        entry.in_flight = max(0, entry.in_flight - 1)
        if succeeded:
            entry.unsuccessful = max(0, entry.unsuccessful - 1)

    def _prune(self, now: float) -> None:
        if len(self._sources) < self.max_sources:
            return
        expired = [
            key
            for key, entry in self._sources.items()
            if entry.in_flight == 0 and now - entry.window_started >= self.window_seconds
        ]
        for key in expired:
            del self._sources[key]
        # Still full (a flood of fresh addresses): forget the oldest idle ones.
        for key in list(self._sources):
            if len(self._sources) < self.max_sources:
                break
            if self._sources[key].in_flight == 0:
                del self._sources[key]
