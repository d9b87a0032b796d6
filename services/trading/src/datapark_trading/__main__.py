"""Run trading: ``python -m datapark_trading`` (API, outbox relay, consumer)."""

import uvicorn

from datapark_trading.app import build_app
from datapark_trading.settings import TradingSettings

if __name__ == "__main__":
    settings = TradingSettings()
    uvicorn.run(
        build_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
    )
