"""Identity end to end: credentials, tokens, roles, tenants, brute force, rotation, revocation."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from support.helpers import random_uscc

pytestmark = pytest.mark.integration


async def _participant(catalog: Any, token: Any, roles: list[str]) -> dict[str, Any]:
    body = {"name": "Auth Test Co.", "uscc": random_uscc(), "region_code": "110105", "roles": roles}
    created = await catalog.post("/v1/participants", json=body, headers=token("operator"))
    assert created.status_code == 201, created.text
    await catalog.post(
        f"/v1/participants/{created.json()['id']}/approve", headers=token("operator")
    )
    return dict(created.json())


async def _credential(catalog: Any, token: Any, pid: str) -> dict[str, Any]:
    issued = await catalog.post(
        f"/v1/participants/{pid}/credentials", json={}, headers=token("operator")
    )
    assert issued.status_code == 201, issued.text
    return dict(issued.json())


async def _exchange(catalog: Any, client_id: str, secret: str) -> Any:
    return await catalog.post(
        "/v1/auth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )


async def test_credentials_become_tokens_that_every_service_verifies(
    catalog, trading, token
) -> None:
    participant = await _participant(catalog, token, ["participant"])
    credential = await _credential(catalog, token, participant["id"])
    assert credential["client_secret"]
    response = await _exchange(catalog, credential["client_id"], credential["client_secret"])
    assert response.status_code == 200, response.text
    issued = response.json()
    assert issued["token_type"] == "Bearer"
    assert 0 < issued["expires_in"] <= 900
    claims = jwt.decode(issued["access_token"], options={"verify_signature": False})
    assert claims["pid"] == participant["id"]
    assert claims["roles"] == ["participant"]
    auth = {"Authorization": f"Bearer {issued['access_token']}"}
    mine = await catalog.get(f"/v1/participants/{participant['id']}", headers=auth)
    assert mine.status_code == 200
    jwks = (await catalog.get("/.well-known/jwks.json")).json()
    assert jwks["keys"][0]["kty"] == "OKP"
    assert "d" not in jwks["keys"][0]
    # The stored secret is a hash, never the secret itself.
    from sqlalchemy import select

    from datapark_catalog.auth.models import Credential

    async with catalog.app.state.database.unit_of_work() as session:
        stored = await session.scalar(
            select(Credential.secret_hash).where(Credential.client_id == credential["client_id"])
        )
    assert stored is not None
    assert credential["client_secret"] not in stored
    assert stored.startswith("scrypt$")


def _forged(claims: dict[str, Any]) -> str:
    other = Ed25519PrivateKey.generate()
    return jwt.encode(claims, other, algorithm="EdDSA", headers={"kid": "datapark-dev-1"})


@pytest.mark.parametrize(
    "case", ["missing", "malformed", "expired", "forged", "alg_none", "wrong_audience"]
)
async def test_bad_tokens_are_401(catalog, signer, case) -> None:
    now = int(time.time())
    base = {
        "iss": "datapark-catalog",
        "aud": "datapark",
        "sub": "x",
        "jti": "j",
        "pid": "01a21692-0949-7788-b3ae-df815a8b0290",
        "roles": ["operator"],
        "iat": now,
        "exp": now + 60,
    }
    headers: dict[str, str] = {}
    if case == "malformed":
        headers = {"Authorization": "Bearer not.a.jwt"}
    elif case == "expired":
        expired = jwt.encode(
            {**base, "iat": now - 3600, "exp": now - 600},
            signer._key,
            algorithm="EdDSA",
            headers={"kid": "datapark-dev-1"},
        )
        headers = {"Authorization": f"Bearer {expired}"}
    elif case == "forged":
        headers = {"Authorization": f"Bearer {_forged(base)}"}
    elif case == "alg_none":
        head = (
            base64.urlsafe_b64encode(json.dumps({"alg": "none", "kid": "datapark-dev-1"}).encode())
            .rstrip(b"=")
            .decode()
        )
        body = base64.urlsafe_b64encode(json.dumps(base).encode()).rstrip(b"=").decode()
        headers = {"Authorization": f"Bearer {head}.{body}."}
    elif case == "wrong_audience":
        other = jwt.encode(
            {**base, "aud": "elsewhere"},
            signer._key,
            algorithm="EdDSA",
            headers={"kid": "datapark-dev-1"},
        )
        headers = {"Authorization": f"Bearer {other}"}
    response = await catalog.get("/v1/participants", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"] == "Bearer"


async def test_wrong_role_is_403_and_other_tenant_is_404(catalog, token) -> None:
    a = await _participant(catalog, token, ["participant"])
    b = await _participant(catalog, token, ["participant"])
    as_a = token("participant", participant_id=__import__("uuid").UUID(a["id"]))
    forbidden = await catalog.post("/v1/participants", json={}, headers=as_a)
    assert forbidden.status_code == 403
    assert forbidden.json()["code"] == "role_required"
    hidden = await catalog.get(f"/v1/participants/{b['id']}", headers=as_a)
    assert hidden.status_code == 404
    missing = await catalog.get(
        "/v1/participants/01a21692-0000-7000-8000-000000000000", headers=as_a
    )
    assert hidden.json()["detail"] == missing.json()["detail"]
    listed = (await catalog.get("/v1/participants", headers=as_a)).json()["items"]
    assert [p["id"] for p in listed] == [a["id"]]
    auditor = (await catalog.get("/v1/participants?limit=200", headers=token("auditor"))).json()
    assert len(auditor["items"]) >= 2


async def test_rotation_and_revocation(catalog, token) -> None:
    participant = await _participant(catalog, token, ["participant"])
    credential = await _credential(catalog, token, participant["id"])
    rotated = await catalog.post(
        f"/v1/credentials/{credential['client_id']}/rotate", headers=token("operator")
    )
    assert rotated.status_code == 200
    new_secret = rotated.json()["client_secret"]
    assert new_secret != credential["client_secret"]
    assert (
        await _exchange(catalog, credential["client_id"], credential["client_secret"])
    ).status_code == 401
    assert (await _exchange(catalog, credential["client_id"], new_secret)).status_code == 200
    revoked = await catalog.post(
        f"/v1/credentials/{credential['client_id']}/revoke", headers=token("operator")
    )
    assert revoked.status_code == 200
    assert (await _exchange(catalog, credential["client_id"], new_secret)).status_code == 401


async def test_brute_force_on_the_token_endpoint_is_locked_out(catalog, token) -> None:
    participant = await _participant(catalog, token, ["participant"])
    credential = await _credential(catalog, token, participant["id"])
    codes = [
        (await _exchange(catalog, credential["client_id"], f"guess-{n}")).status_code
        for n in range(5)
    ]
    assert codes == [401] * 5
    locked = await _exchange(catalog, credential["client_id"], credential["client_secret"])
    assert locked.status_code == 429
    assert locked.json()["retry_after"] > 0
    stranger = f"dp_unknown_{time.time_ns()}"
    unknown = await asyncio.gather(*[_exchange(catalog, stranger, "x") for _ in range(2)])
    assert {r.status_code for r in unknown} == {401}


async def test_suspended_participant_gets_no_token(catalog, token) -> None:
    participant = await _participant(catalog, token, ["participant"])
    credential = await _credential(catalog, token, participant["id"])
    await catalog.post(
        f"/v1/participants/{participant['id']}/suspend",
        json={"reason": "compliance"},
        headers=token("operator"),
    )
    refused = await _exchange(catalog, credential["client_id"], credential["client_secret"])
    assert refused.status_code == 401


async def test_unsupported_grant_and_missing_form_fields_are_422(catalog) -> None:
    wrong = await catalog.post(
        "/v1/auth/token", data={"grant_type": "password", "client_id": "a", "client_secret": "b"}
    )
    assert wrong.status_code == 422
    assert wrong.json()["code"] == "unsupported_grant_type"
    missing = await catalog.post("/v1/auth/token", data={"grant_type": "client_credentials"})
    assert missing.status_code == 422
    assert {"client_id", "client_secret"} <= {e["field"] for e in missing.json()["errors"]}


async def test_bootstrap_creates_the_first_operator_only_once(catalog) -> None:
    from sqlalchemy import update

    from datapark_catalog.bootstrap import bootstrap
    from datapark_catalog.participants.models import Participant

    database = catalog.app.state.database
    async with database.unit_of_work() as session:
        # Other tests have created operators; hide them for this check.
        hidden = (
            (
                await session.execute(
                    update(Participant)
                    .where(Participant.roles.contains(["operator"]))
                    .values(roles=["participant"])
                    .returning(Participant.id)
                )
            )
            .scalars()
            .all()
        )
    try:
        client_id, secret = await bootstrap(database, "Park Ops", random_uscc(), "620102")
        issued = await _exchange(catalog, client_id, secret)
        assert issued.status_code == 200
        assert jwt.decode(issued.json()["access_token"], options={"verify_signature": False})[
            "roles"
        ] == ["operator"]
        with pytest.raises(SystemExit, match="already exists"):
            await bootstrap(database, "Second Ops", random_uscc(), "620102")
    finally:
        async with database.unit_of_work() as session:
            await session.execute(
                update(Participant).where(Participant.id.in_(hidden)).values(roles=["operator"])
            )


async def _real_token(catalog: Any, client_id: str, secret: str) -> dict[str, str]:
    issued = await _exchange(catalog, client_id, secret)
    assert issued.status_code == 200, issued.text
    return {"Authorization": f"Bearer {issued.json()['access_token']}"}


async def test_a_lesser_credential_cannot_manage_a_stronger_one(catalog, token) -> None:
    participant = await _participant(catalog, token, ["participant", "customer"])
    strong = await _credential(catalog, token, participant["id"])
    weak = (
        await catalog.post(
            f"/v1/participants/{participant['id']}/credentials",
            json={"roles": ["customer"]},
            headers=token("operator"),
        )
    ).json()
    as_weak = await _real_token(catalog, weak["client_id"], weak["client_secret"])
    refused = await catalog.post(f"/v1/credentials/{strong['client_id']}/rotate", headers=as_weak)
    assert refused.status_code == 403
    assert refused.json()["code"] == "roles_insufficient"
    assert (
        await _exchange(catalog, strong["client_id"], strong["client_secret"])
    ).status_code == 200
    as_strong = await _real_token(catalog, strong["client_id"], strong["client_secret"])
    allowed = await catalog.post(f"/v1/credentials/{weak['client_id']}/revoke", headers=as_strong)
    assert allowed.status_code == 200


async def test_only_operators_change_region_group_and_membership(catalog, token) -> None:
    participant = await _participant(catalog, token, ["participant"])
    me = token("participant", participant_id=__import__("uuid").UUID(participant["id"]))
    for field, value in (
        ("group_code", None),
        ("operating_region_code", "350102"),
        ("park_member", True),
    ):
        refused = await catalog.patch(
            f"/v1/participants/{participant['id']}", json={field: value}, headers=me
        )
        assert refused.status_code == 403, field
        assert refused.json()["code"] == "operator_only_field"
    renamed = await catalog.patch(
        f"/v1/participants/{participant['id']}", json={"name": "Renamed Co."}, headers=me
    )
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Renamed Co."
    by_operator = await catalog.patch(
        f"/v1/participants/{participant['id']}",
        json={"group_code": "gansu-holdings"},
        headers=token("operator"),
    )
    assert by_operator.json()["group_code"] == "gansu-holdings"


async def test_secrets_are_never_kept_for_idempotent_replay(catalog, token) -> None:
    from sqlalchemy import select

    from datapark_catalog.tables import IDEMPOTENCY

    participant = await _participant(catalog, token, ["participant"])
    key = f"cred-{time.time_ns()}"
    headers = {**token("operator", client_id="idem-cred"), "Idempotency-Key": key}
    first = await catalog.post(
        f"/v1/participants/{participant['id']}/credentials", json={}, headers=headers
    )
    assert first.status_code == 201
    assert first.headers["cache-control"] == "no-store"
    again = await catalog.post(
        f"/v1/participants/{participant['id']}/credentials", json={}, headers=headers
    )
    assert again.status_code == 409
    assert again.json()["code"] == "idempotent_response_withheld"
    assert first.json()["client_secret"] not in again.text
    async with catalog.app.state.database.unit_of_work() as session:
        stored = (
            await session.execute(
                select(IDEMPOTENCY.c.response_body).where(IDEMPOTENCY.c.key == key)
            )
        ).scalar_one()
    assert stored is None


async def test_lockout_is_per_source_so_a_stranger_cannot_lock_the_owner_out(
    catalog, token
) -> None:
    import httpx

    participant = await _participant(catalog, token, ["participant"])
    credential = await _credential(catalog, token, participant["id"])
    transport = httpx.ASGITransport(app=catalog.app, client=("203.0.113.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://catalog.test") as stranger:
        codes = [
            (await _exchange(stranger, credential["client_id"], f"guess-{n}")).status_code
            for n in range(6)
        ]
    assert codes == [401] * 5 + [429]
    owner = await _exchange(catalog, credential["client_id"], credential["client_secret"])
    assert owner.status_code == 200
