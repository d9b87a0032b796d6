"""Run trading: ``python -m datapark_trading`` (API, outbox relay, consumer)."""

from datapark_kit import serve
from datapark_trading.settings import TradingSettings

if __name__ == "__main__":
    settings = TradingSettings()
    # Forwarded headers only from configured proxies, head/body read timeouts, a connection
    # cap (datapark_kit.serve).
    # The factory's import path: each of settings.web_workers processes builds its own app.
    serve.run("datapark_trading.app:build_app", settings)
