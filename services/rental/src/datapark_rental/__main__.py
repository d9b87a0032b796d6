"""Run rental: ``python -m datapark_rental`` (API, outbox relay, consumer)."""

from datapark_kit import serve
from datapark_rental.settings import RentalSettings

if __name__ == "__main__":
    settings = RentalSettings()
    # Forwarded headers only from configured proxies, head/body read timeouts, a connection
    # cap (datapark_kit.serve).
    # The factory's import path: each of settings.web_workers processes builds its own app.
    serve.run("datapark_rental.app:build_app", settings)
