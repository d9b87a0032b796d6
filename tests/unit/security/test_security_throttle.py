"""The token endpoint's per-source throttle (catalog auth): in-flight cap, a budget of
unsuccessful requests per window given back on success, expiry, and a bound on how many
addresses it remembers."""

from __future__ import annotations

from datapark_catalog.auth.throttle import SourceThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def throttle(clock: Clock, **overrides: int) -> SourceThrottle:
    values = {"max_unsuccessful": 3, "window_seconds": 60, "max_in_flight": 2}
    values.update(overrides)
    return SourceThrottle(clock=clock, **values)


def test_at_most_max_in_flight_requests_of_one_source_run_at_once() -> None:
    gate = throttle(Clock(), max_unsuccessful=100)
    assert gate.enter("a") is None
    assert gate.enter("a") is None
    assert gate.enter("a") == 1
    assert gate.enter("b") is None  # another source is not affected
    gate.leave("a", succeeded=True)
    assert gate.enter("a") is None


def test_unsuccessful_requests_use_up_the_budget_until_the_window_ends() -> None:
    clock = Clock()
    gate = throttle(clock)
    for _ in range(3):
        assert gate.enter("a") is None
        gate.leave("a", succeeded=False)
    clock.now += 10
    assert gate.enter("a") == 50  # seconds left in the window
    clock.now += 50
    assert gate.enter("a") is None


def test_successes_give_their_place_in_the_budget_back() -> None:
    gate = throttle(Clock())
    for _ in range(10):
        assert gate.enter("a") is None
        gate.leave("a", succeeded=True)


def test_refused_requests_count_against_the_budget() -> None:
    gate = throttle(Clock(), max_unsuccessful=4, max_in_flight=1)
    assert gate.enter("a") is None
    assert [gate.enter("a") for _ in range(3)] == [1, 1, 1]
    gate.leave("a", succeeded=False)
    assert gate.enter("a") == 60


def test_the_number_of_remembered_sources_is_bounded() -> None:
    clock = Clock()
    gate = throttle(clock, max_sources=100)
    for n in range(1000):
        assert gate.enter(f"10.0.{n // 256}.{n % 256}") is None
        gate.leave(f"10.0.{n // 256}.{n % 256}", succeeded=False)
    assert len(gate) <= 100
