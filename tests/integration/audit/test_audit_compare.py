"""`datapark-audit rebuild --as-of --compare` reads the services' tables through the read-only
role the migrations create (``datapark_audit_reader``, SELECT only): a participant that catalog
registered agrees with the log; once its row is altered behind the log's back, the mismatch is
listed; and the role cannot write."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from support.helpers import KAFKA, eventually, random_uscc
from typer.testing import CliRunner

from datapark_audit.cli import app
from datapark_audit.log import load_events
from datapark_audit.settings import AuditSettings
from datapark_contracts.topics import CATALOG_PARTICIPANTS

pytestmark = pytest.mark.integration
PG_PORT = os.environ.get("DATAPARK_PG_PORT", "54329")


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _compare(reader_url: str, tmp: Path) -> list[str]:
    out = tmp / f"rebuild-{uuid.uuid4().hex[:6]}.json"
    result = CliRunner().invoke(
        app,
        [
            "rebuild",
            "--as-of",
            datetime.now(UTC).isoformat(),
            "--compare",
            reader_url,
            "--topic",
            CATALOG_PARTICIPANTS,
            "--bootstrap",
            KAFKA,
            "--no-progress",
            "--json",
            str(out),
        ],
    )
    assert result.exit_code in (0, 1), result.output
    data: dict[str, Any] = json.loads(out.read_text())
    assert data["compared"] is True
    return list(data["mismatches"])


async def test_compare_through_the_read_only_role(
    catalog, token, migrated_database, tmp_path
) -> None:
    operator = token("operator")
    body = {
        "name": "兰州数据港审计测试",
        "uscc": random_uscc("620102"),
        "region_code": "620102",
        "roles": ["participant"],
    }
    created = (await catalog.post("/v1/participants", json=body, headers=operator)).json()
    pid = created["id"]

    async def logged() -> bool:
        events = await load_events(AuditSettings(bootstrap=KAFKA), topics=[CATALOG_PARTICIPANTS])
        return any(e.subject == pid for e in events)

    await eventually(logged, timeout=30)

    owner = await asyncpg.connect(_dsn(migrated_database))
    login, password = f"audit_test_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    await owner.execute(
        f"CREATE ROLE {login} LOGIN PASSWORD '{password}' IN ROLE datapark_audit_reader"
    )
    reader_url = f"postgresql+asyncpg://{login}:{password}@127.0.0.1:{PG_PORT}/datapark_test"
    try:
        reader = await asyncpg.connect(_dsn(reader_url))
        try:
            assert (
                await reader.fetchval(
                    "SELECT status FROM catalog.participants WHERE id = $1", uuid.UUID(pid)
                )
                == "pending"
            )
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await reader.execute(
                    "UPDATE catalog.participants SET status = 'active' WHERE id = $1",
                    uuid.UUID(pid),
                )
        finally:
            await reader.close()

        before = await asyncio.to_thread(_compare, reader_url, tmp_path)
        assert not [m for m in before if pid in m]

        await owner.execute(
            "UPDATE catalog.participants SET status = 'active' WHERE id = $1", uuid.UUID(pid)
        )
        await owner.execute(
            "UPDATE catalog.event_chain_heads SET last_seq = last_seq + 1 WHERE aggregate_id = $1",
            pid,
        )
        after = await asyncio.to_thread(_compare, reader_url, tmp_path)
        ours = [m for m in after if pid in m]
        assert any("status 'active' in the database, 'pending' in the log" in m for m in ours)
        assert any("aggseq 2 in the database, at 1 in the log" in m for m in ours)
    finally:
        await owner.execute(
            "UPDATE catalog.participants SET status = 'pending' WHERE id = $1", uuid.UUID(pid)
        )
        await owner.execute(
            "UPDATE catalog.event_chain_heads SET last_seq = 1 WHERE aggregate_id = $1", pid
        )
        await owner.execute(f"DROP ROLE IF EXISTS {login}")
        await owner.close()


def test_compare_with_an_unreachable_database_is_a_usage_error(tmp_path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "rebuild",
            "--as-of",
            "2030-01-01T00:00:00Z",
            "--compare",
            "postgresql+asyncpg://nobody:secret@127.0.0.1:1/none",
            "--topic",
            CATALOG_PARTICIPANTS,
            "--bootstrap",
            KAFKA,
            "--no-progress",
        ],
    )
    assert result.exit_code == 2
    assert "cannot connect to the database given with --compare" in result.output
    assert "secret" not in result.output
