"""Webhook destinations must be public: no loopback, private ranges or cloud metadata."""

from __future__ import annotations

import pytest

from datapark_kit.errors import Unprocessable
from datapark_trading.webhooks.destinations import require_public_destination


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1:54329/x",
        "https://localhost/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://0.0.0.0/hook",
    ],
)
async def test_internal_destinations_are_refused(url: str) -> None:
    with pytest.raises(Unprocessable) as refused:
        await require_public_destination(url)
    assert refused.value.extra["errors"][0]["field"] == "url"


async def test_a_public_address_is_accepted() -> None:
    await require_public_destination("https://93.184.216.34/hooks/datapark")


async def test_a_url_without_a_host_is_refused() -> None:
    with pytest.raises(Unprocessable):
        await require_public_destination("https:///nohost")
