"""Seed the demo principals of `make run`: one participant per role, each with a credential.

Idempotent: a second run finds the participants by USCC and rotates their demo credential,
so the secret printed is always one that works (secrets are stored hashed and never shown
twice).
"""

from __future__ import annotations

import asyncio

from datapark_catalog.auth.repository import CredentialRepository
from datapark_catalog.auth.schemas import CredentialCreate
from datapark_catalog.auth.service import CredentialService
from datapark_catalog.participants.repository import ParticipantRepository
from datapark_catalog.participants.schemas import ParticipantCreate
from datapark_catalog.participants.service import ParticipantService
from datapark_catalog.participants.uscc import check_character
from datapark_catalog.settings import CatalogSettings
from datapark_kit.auth import Principal
from datapark_kit.db import Database

DEMO = (
    ("operator", "Lanzhou Yongxin Data Park Operations", "620102", "PARKOPS1"),
    ("partner", "Beijing International Data Exchange", "110105", "BJDXPTNR"),
    ("participant", "Gansu Smart Grid Data Co.", "620102", "GSGRID01"),
    ("customer", "Beijing Expo Robotics Rentals", "110108", "EXPOCUST"),
    ("reviewer", "Xiong'an Robotics Subsidy Office", "130632", "XASUBREV"),
    ("auditor", "Park Audit Office", "620102", "AUDIT001"),
)


def demo_uscc(region: str, org: str) -> str:
    body = (
        f"91{region}{org[:8]}0".replace("I", "1")
        .replace("O", "0")
        .replace("S", "5")
        .replace("V", "U")
        .replace("Z", "2")
    )
    return body + check_character(body)


async def seed(database: Database) -> list[tuple[str, str, str, str]]:
    printed = []
    for role, name, region, org in DEMO:
        async with database.unit_of_work() as session:
            uscc = demo_uscc(region, org)
            participants = ParticipantService(session)
            participant = await ParticipantRepository(session).by_uscc(uscc)
            if participant is None:
                participant = await participants.register(
                    ParticipantCreate(
                        name=name,
                        uscc=uscc,
                        region_code=region,
                        roles=[role],
                        park_member=True,
                    )
                )
                await participants.approve(participant.id)
            credentials = CredentialService(session)
            existing = [
                c
                for c in await CredentialRepository(session).of_participant(participant.id)
                if c.label == "demo" and c.revoked_at is None
            ]
            operator = Principal(participant.id, frozenset({"operator"}), "seed", "seed")
            if existing:
                credential, secret = await credentials.rotate(operator, existing[0].client_id)
            else:
                credential, secret = await credentials.create(
                    participant.id, CredentialCreate(label="demo")
                )
            printed.append((role, str(participant.id), credential.client_id, secret))
    return printed


async def main() -> None:
    settings = CatalogSettings()
    database = Database(settings.database_url.get_secret_value(), pool_size=2)
    try:
        rows = await seed(database)
    finally:
        await database.dispose()
    print("\nDemo principals (development only; secrets are rotated on every run):")
    print(f"  {'role':<12} {'participant id':<38} {'client_id':<28} client_secret")
    for role, pid, client_id, secret in rows:
        print(f"  {role:<12} {pid:<38} {client_id:<28} {secret}")
    print(
        "\nGet a token:  curl -s -d grant_type=client_credentials -d client_id=<id> "
        f"-d client_secret=<secret> http://127.0.0.1:{settings.port}/v1/auth/token"
    )


if __name__ == "__main__":
    asyncio.run(main())
