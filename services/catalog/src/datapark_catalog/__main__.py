"""Run catalog: ``python -m datapark_catalog`` (API, outbox relay)."""

from datapark_catalog.app import build_app
from datapark_catalog.settings import CatalogSettings
from datapark_kit import serve

if __name__ == "__main__":
    settings = CatalogSettings()
    # Forwarded headers only from configured proxies, head/body read timeouts, a connection
    # cap (datapark_kit.serve).
    serve.run(build_app(settings), settings)
