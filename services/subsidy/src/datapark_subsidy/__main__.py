"""Run subsidy: ``python -m datapark_subsidy`` (API, outbox relay, consumer)."""

from datapark_kit import serve
from datapark_subsidy.settings import SubsidySettings

if __name__ == "__main__":
    settings = SubsidySettings()
    # Forwarded headers only from configured proxies, head/body read timeouts, a connection
    # cap (datapark_kit.serve).
    # The factory's import path: each of settings.web_workers processes builds its own app.
    serve.run("datapark_subsidy.app:build_app", settings)
