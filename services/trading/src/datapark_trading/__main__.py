"""Run trading: ``python -m datapark_trading`` (API, outbox relay, consumer)."""

from datapark_kit import serve
from datapark_trading.app import build_app
from datapark_trading.settings import TradingSettings

if __name__ == "__main__":
    settings = TradingSettings()
    # Forwarded headers only from configured proxies, head/body read timeouts, a connection
    # cap (datapark_kit.serve).
    serve.run(build_app(settings), settings)
