"""The one way services call HTTP: httpx with timeouts, bounded retries and tracing."""

from __future__ import annotations

import httpx


def make_client(*, base_url: str = "", timeout: float = 5.0, retries: int = 2) -> httpx.AsyncClient:
    """An ``AsyncClient`` with connect retries and a total timeout (traced by OTel's httpx hook)."""
    transport = httpx.AsyncHTTPTransport(retries=retries)
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(timeout),
        transport=transport,
        follow_redirects=False,
    )
