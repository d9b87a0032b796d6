"""Run rental: ``python -m datapark_rental`` (API, outbox relay, consumer)."""

import uvicorn

from datapark_rental.app import build_app
from datapark_rental.settings import RentalSettings

if __name__ == "__main__":
    settings = RentalSettings()
    uvicorn.run(
        build_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
    )
