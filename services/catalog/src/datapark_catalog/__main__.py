"""Run catalog: ``python -m datapark_catalog`` (API, outbox relay)."""

from datapark_catalog.settings import CatalogSettings
from datapark_kit import serve

if __name__ == "__main__":
    settings = CatalogSettings()
    # Forwarded headers only from configured proxies, head/body read timeouts, a connection
    # cap (datapark_kit.serve).
    # The factory's import path: each of settings.web_workers processes builds its own app.
    serve.run("datapark_catalog.app:build_app", settings)
