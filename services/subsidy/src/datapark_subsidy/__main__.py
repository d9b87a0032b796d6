"""Run subsidy: ``python -m datapark_subsidy`` (API, outbox relay, consumer)."""

import uvicorn

from datapark_subsidy.app import build_app
from datapark_subsidy.settings import SubsidySettings

if __name__ == "__main__":
    settings = SubsidySettings()
    uvicorn.run(
        build_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
    )
