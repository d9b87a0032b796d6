"""Participants and client credentials made through the in-process catalog for tests of the
token endpoint, its throttles and what a token may do: an approved participant, its issued
client credentials, the token request's form, and a client that connects from an address of
the test's choosing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import httpx

from support.helpers import random_uscc


async def approved_participant(
    catalog: Any, operator: dict[str, str], name: str, roles: Sequence[str] = ("participant",)
) -> uuid.UUID:
    """A company the operator registered (with a fresh USCC in Beijing) and approved."""
    body = {"name": name, "uscc": random_uscc(), "region_code": "110105", "roles": list(roles)}
    created = await catalog.post("/v1/participants", json=body, headers=operator)
    assert created.status_code == 201, created.text
    pid = uuid.UUID(created.json()["id"])
    approved = await catalog.post(f"/v1/participants/{pid}/approve", headers=operator)
    assert approved.status_code == 200, approved.text
    return pid


async def issued_credential(
    catalog: Any, token: Any, name: str, roles: Sequence[str] = ("participant",)
) -> dict[str, Any]:
    """The client credentials (``client_id``, ``client_secret``, ``participant_id``, ...)
    catalog issued to a freshly approved participant."""
    operator = token("operator")
    pid = await approved_participant(catalog, operator, name, roles)
    issued = await catalog.post(f"/v1/participants/{pid}/credentials", json={}, headers=operator)
    assert issued.status_code == 201, issued.text
    return dict(issued.json())


def token_form(client_id: str, secret: str) -> dict[str, str]:
    """The body of a client-credentials request to ``/v1/auth/token``."""
    return {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}


def client_from(catalog: Any, address: str) -> httpx.AsyncClient:
    """A client of the same in-process catalog that connects from ``address``."""
    transport = httpx.ASGITransport(app=catalog.app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://catalog.test")
