"""Run catalog: ``python -m datapark_catalog`` (API, outbox relay)."""

import uvicorn

from datapark_catalog.app import build_app
from datapark_catalog.settings import CatalogSettings

if __name__ == "__main__":
    settings = CatalogSettings()
    uvicorn.run(
        build_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
    )
