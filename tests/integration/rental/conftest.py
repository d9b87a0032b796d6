"""Fixtures of rental's integration tests."""

from __future__ import annotations

from typing import Any

import pytest
from integration.rental.rental_park import Park


@pytest.fixture
def park(catalog: Any, rental: Any, token: Any) -> Park:
    return Park(catalog, rental, token)
