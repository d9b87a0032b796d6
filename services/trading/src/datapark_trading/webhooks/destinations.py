"""Where webhooks may go: public addresses only, so a partner's URL can never make trading
reach into the park's own network (loopback, private ranges, link-local cloud metadata)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from datapark_kit.errors import Unprocessable
from datapark_trading.problems import TradingProblem


async def require_public_destination(url: str) -> None:
    """Raise unless every address the URL's host resolves to is a public (global) one."""
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        raise Unprocessable("a webhook URL needs a host", field="url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError):
        raise Unprocessable(f"the webhook host {host!r} does not resolve", field="url") from None
    for *_, sockaddr in found:
        address = ipaddress.ip_address(sockaddr[0])
        if not address.is_global:
            raise Unprocessable(
                f"the webhook host {host!r} resolves to a non-public address",
                field="url",
                code=TradingProblem.WEBHOOK_DESTINATION_NOT_PUBLIC,
            )
