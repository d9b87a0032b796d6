"""Create the park's first operator on a new installation and print its credential once.

``python -m datapark_catalog.bootstrap --name "..." --uscc ... --region 620102``

Issuing credentials needs an operator, so the first one cannot come through the API. This
command refuses to run when an operator already exists; every later principal is created by
an operator over HTTP.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from datapark_catalog.auth.schemas import CredentialCreate
from datapark_catalog.auth.service import CredentialService
from datapark_catalog.participants.repository import ParticipantRepository
from datapark_catalog.participants.schemas import ParticipantCreate
from datapark_catalog.participants.service import ParticipantService
from datapark_catalog.settings import CatalogSettings
from datapark_kit.db import Database


async def bootstrap(database: Database, name: str, uscc: str, region: str) -> tuple[str, str]:
    async with database.unit_of_work() as session:
        if await ParticipantRepository(session).has_role_holder("operator"):
            raise SystemExit("an operator already exists; create principals through the API")
        participants = ParticipantService(session)
        operator = await participants.register(
            ParticipantCreate(
                name=name, uscc=uscc, region_code=region, roles=["operator"], park_member=True
            )
        )
        await participants.approve(operator.id)
        credential, secret = await CredentialService(session).create(
            operator.id, CredentialCreate(label="bootstrap")
        )
        return credential.client_id, secret


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--name", required=True)
    parser.add_argument("--uscc", required=True)
    parser.add_argument("--region", required=True, help="6-digit division code")
    args = parser.parse_args(argv)
    settings = CatalogSettings()
    database = Database(settings.database_url.get_secret_value(), pool_size=1)

    async def run() -> tuple[str, str]:
        try:
            return await bootstrap(database, args.name, args.uscc, args.region)
        finally:
            await database.dispose()

    client_id, secret = asyncio.run(run())
    print(f"operator client_id={client_id}")
    print(f"operator client_secret={secret}   (shown once; store it in your secret manager)")


if __name__ == "__main__":
    main(sys.argv[1:])
