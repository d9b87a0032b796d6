"""catalog: participants, credentials and tokens, data products, the robot fleet, listings."""

from __future__ import annotations

from fastapi import FastAPI

from datapark_catalog.auth.endpoints import public as auth_public
from datapark_catalog.auth.endpoints import router as auth_router
from datapark_catalog.auth.service import TokenService
from datapark_catalog.fleet.endpoints import router as fleet_router
from datapark_catalog.listings.endpoints import product_listings
from datapark_catalog.listings.endpoints import router as listings_router
from datapark_catalog.participants.endpoints import router as participants_router
from datapark_catalog.participants.models import Participant
from datapark_catalog.products.endpoints import router as products_router
from datapark_catalog.settings import CatalogSettings
from datapark_catalog.tables import EVENTING, IDEMPOTENCY
from datapark_catalog.valuations.endpoints import router as valuations_router
from datapark_eventing.workers import kafka_readiness, service_workers
from datapark_kit.app import create_app
from datapark_kit.auth import TokenSigner, TokenVerifier, jwks_from_private_key


def build_app(settings: CatalogSettings | None = None) -> FastAPI:
    settings = settings or CatalogSettings()
    private_key = settings.jwt_private_key_pem.get_secret_value()
    settings.jwt_public_jwks = jwks_from_private_key(private_key, settings.jwt_key_id)

    async def on_startup(app: FastAPI) -> None:
        signer = TokenSigner(
            private_key,
            key_id=settings.jwt_key_id,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            ttl_seconds=settings.token_ttl_seconds,
        )
        app.state.verifier = TokenVerifier(
            settings.jwt_public_jwks, issuer=settings.jwt_issuer, audience=settings.jwt_audience
        )
        app.state.token_service = TokenService(app.state.database, signer, settings)

    app = create_app(
        settings,
        title="datapark catalog",
        description="Participants, credentials and tokens, data products and their listings, "
        "the robot fleet and its rental offerings.",
        routers=[
            auth_public,
            auth_router,
            participants_router,
            products_router,
            product_listings,
            valuations_router,
            fleet_router,
            listings_router,
        ],
        idempotency_table=IDEMPOTENCY,
        participants=Participant.__table__,
        readiness=[kafka_readiness(settings)],
        workers=service_workers(settings, EVENTING),
        on_startup=on_startup,
        open_paths=frozenset({"/v1/auth/token"}),
    )
    return app
