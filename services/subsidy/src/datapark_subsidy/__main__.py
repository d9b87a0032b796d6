"""Run subsidy: ``python -m datapark_subsidy`` (API, outbox relay, consumer)."""

from datapark_kit import serve
from datapark_subsidy.app import build_app
from datapark_subsidy.settings import SubsidySettings

if __name__ == "__main__":
    settings = SubsidySettings()
    # Forwarded headers only from configured proxies, head/body read timeouts, a connection
    # cap (datapark_kit.serve).
    serve.run(build_app(settings), settings)
