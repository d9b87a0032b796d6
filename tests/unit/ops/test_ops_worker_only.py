"""The worker entrypoint serves probes and metrics only; the topic tool refuses a single
replica outside development before it connects to anything."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from datapark_eventing import topics
from datapark_eventing.worker import WorkerOnly


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/v1/things")
    async def things() -> list[str]:
        return ["an API answer"]

    return app


async def test_a_worker_answers_probes_and_refuses_the_api() -> None:
    transport = httpx.ASGITransport(app=WorkerOnly(_app()))
    async with httpx.AsyncClient(transport=transport, base_url="http://worker") as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        refused = await client.get("/v1/things")
    assert refused.status_code == 404
    assert refused.headers["content-type"] == "application/problem+json"
    assert "worker" in refused.json()["detail"]


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_the_topic_tool_refuses_one_replica_outside_development(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], environment: str
) -> None:
    monkeypatch.setenv("DATAPARK_ENVIRONMENT", environment)
    monkeypatch.setenv("DATAPARK_KAFKA_REPLICATION_FACTOR", "1")
    monkeypatch.setenv("DATAPARK_KAFKA_BOOTSTRAP", "127.0.0.1:1")  # never reached
    with pytest.raises(SystemExit) as stopped:
        topics.main()
    assert stopped.value.code == 2
    assert "replication factor 1 is refused" in capsys.readouterr().err
