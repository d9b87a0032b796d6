"""Running the Eclipse Dataspace TCK against trading: seed data, the provider's side, the run.

The TCK plays the counter-party's connector; the connector under test must act on its own side
as each scenario requires (offer, agree, finalize, terminate; start, suspend, resume, terminate
a transfer). Here a provider participant does so through trading's REST API, keyed by the
dataset or agreement each scenario is configured with — so every TCK negotiation is also driven
through the very endpoints a seller uses, and the DSP notifier has to tell the TCK about it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request
from sqlalchemy import select

from datapark_trading.dsp.models import DspNegotiationRow, DspTransferRow

ROOT = Path(__file__).resolve().parents[3]
LIBS = ROOT / ".local" / "tck-libs"
LAUNCHER = ROOT / "deploy" / "tck" / "DataparkTck.java"
PACKAGE = "org.eclipse.dataspacetck.dsp.verification"
MODULES = {"metadata": "MET", "catalog": "CAT", "negotiation": "CN", "transfer": "TP"}

# What the provider does in each contract negotiation scenario of the TCK (provider side):
# state -> action, "again" for a counter-request after the first round.
CN_SCRIPTS: dict[str, dict[str, str]] = {
    "CN_01_01": {"REQUESTED": "offer"},
    "CN_01_02": {"REQUESTED": "offer", "again": "terminate"},
    "CN_01_03": {"REQUESTED": "offer", "ACCEPTED": "agree", "VERIFIED": "finalize"},
    "CN_01_04": {"REQUESTED": "agree", "VERIFIED": "finalize"},
    "CN_02_01": {"REQUESTED": "terminate"},
    "CN_02_02": {},
    "CN_02_03": {"REQUESTED": "agree"},
    "CN_02_04": {"REQUESTED": "offer"},
    "CN_02_05": {"REQUESTED": "offer", "OFFERED": "terminate"},
    "CN_02_06": {"REQUESTED": "offer", "ACCEPTED": "terminate"},
    "CN_02_07": {"REQUESTED": "agree", "VERIFIED": "terminate"},
    "CN_03_01": {"REQUESTED": "agree", "VERIFIED": "finalize"},
    "CN_03_02": {"REQUESTED": "offer"},
    "CN_03_03": {"REQUESTED": "offer"},
    "CN_03_04": {"REQUESTED": "offer"},
}
# The provider's steps in each transfer process scenario (provider side). A DSP provider may
# also complete a transfer; on datapark only the consumer confirms receipt (that releases the
# escrow), so TP:01-02 and TP:01-04 cannot pass — see docs/dataspace.md.
TP_SCRIPTS: dict[str, list[str]] = {
    "TP_01_01": ["start", "terminate"],
    "TP_01_02": ["start"],
    "TP_01_03": ["start", "suspend", "terminate"],
    "TP_01_04": ["start", "suspend", "resume"],
    "TP_01_05": ["terminate"],
    "TP_02_01": ["start"],
    "TP_02_02": ["start"],
    "TP_02_03": ["start"],
    "TP_02_05": [],
    "TP_03_01": [],
    "TP_03_02": [],
    "TP_03_03": ["start"],
    "TP_03_04": ["start"],
    "TP_03_05": ["start"],
    "TP_03_06": ["start"],
}
# What datapark's member does as consumer in each consumer-side scenario (CN_C): state -> move.
CN_C_SCRIPTS: dict[str, dict[str, str]] = {
    "CN_C_01_01": {"OFFERED": "accept", "AGREED": "verify"},
    "CN_C_01_02": {"OFFERED": "counter"},
    "CN_C_01_03": {"OFFERED": "terminate"},
    "CN_C_01_04": {"AGREED": "verify"},
    "CN_C_02_01": {},
    "CN_C_02_02": {"REQUESTED": "terminate"},
    "CN_C_02_03": {"AGREED": "terminate"},
    "CN_C_02_04": {},
    "CN_C_02_05": {"OFFERED": "accept"},
    "CN_C_02_06": {"AGREED": "verify"},
    "CN_C_03_01": {},
    "CN_C_03_02": {},
    "CN_C_03_03": {},
    "CN_C_03_04": {"OFFERED": "accept"},
    "CN_C_03_05": {"OFFERED": "accept"},
    "CN_C_03_06": {"OFFERED": "accept"},
}
# ... and in each consumer-side transfer scenario (TP_C): (state it waits for, move) in order.
TP_C_SCRIPTS: dict[str, list[tuple[str, str]]] = {
    "TP_C_01_01": [],
    "TP_C_01_02": [],
    "TP_C_01_03": [],
    "TP_C_01_04": [],
    "TP_C_01_05": [],
    "TP_C_02_01": [("STARTED", "terminate")],
    "TP_C_02_02": [("STARTED", "confirm")],
    "TP_C_02_03": [("STARTED", "suspend"), ("SUSPENDED", "terminate")],
    "TP_C_02_05": [("REQUESTED", "terminate")],
    "TP_C_03_01": [],
    "TP_C_03_02": [],
    "TP_C_03_03": [],
    "TP_C_03_04": [],
    "TP_C_03_05": [],
    "TP_C_03_06": [],
}
CATALOG_DATASETS = ("CAT_01_01", "CAT_01_02")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fetch_tck() -> None:
    """The project's own setup step (also `make tck-fetch`): Maven Central only."""
    subprocess.run(["bash", str(ROOT / "deploy" / "tck" / "fetch.sh")], check=True)


@dataclass
class Seed:
    """``tck``: the participant the TCK's token names (consumer in the provider-side
    scenarios, provider in the consumer-side ones); ``provider`` sells to it; ``member``
    buys from it through datapark acting as consumer's connector."""

    tck_id: uuid.UUID
    provider_id: uuid.UUID
    member_id: uuid.UUID
    listings: dict[str, uuid.UUID]
    agreements: dict[str, uuid.UUID]


def tck_properties(
    seed: Seed, *, trading_port: int, tck_port: int, trigger_port: int, authorization: str
) -> dict[str, str]:
    base = f"http://127.0.0.1:{trading_port}"
    props = {
        "dataspacetck.debug": "false",
        "dataspacetck.ansi": "false",
        "dataspacetck.host": "127.0.0.1",
        "dataspacetck.port": str(tck_port),
        "dataspacetck.callback.address": f"http://127.0.0.1:{tck_port}",
        "dataspacetck.dsp.local.connector": "false",
        "dataspacetck.dsp.connector.agent.id": "urn:datapark:trading",
        "dataspacetck.dsp.connector.http.url": f"{base}/dsp/2025-1",
        "dataspacetck.dsp.connector.http.base.url": base,
        "dataspacetck.dsp.connector.http.headers.authorization": authorization,
        # the TCK's triggers for consumer-side scenarios reach the member through a relay
        # that calls trading's /v1/dsp REST endpoints with the member's token
        "dataspacetck.dsp.connector.negotiation.initiate.url": (
            f"http://127.0.0.1:{trigger_port}/negotiations"
        ),
        "dataspacetck.dsp.connector.transfer.initiate.url": (
            f"http://127.0.0.1:{trigger_port}/transfers"
        ),
        # seconds the TCK waits for each expected message (a loaded 2-core machine is slow)
        "dataspacetck.dsp.default.wait": "20",
    }
    for name in CATALOG_DATASETS:
        props[f"{name}_DATASETID"] = str(seed.listings[name])
    props["CAT_01_03_DATASETID"] = str(uuid.uuid4())
    for name in CN_SCRIPTS:
        props[f"{name}_DATASETID"] = str(seed.listings[name])
        props[f"{name}_OFFERID"] = f"urn:datapark:offer:{seed.listings[name]}"
    for name in CN_C_SCRIPTS:
        props[f"{name}_DATASETID"] = str(seed.listings[name])
    for name in (*TP_SCRIPTS, *TP_C_SCRIPTS):
        props[f"{name}_AGREEMENTID"] = str(seed.agreements[name])
        props[f"{name}_FORMAT"] = "HttpData-PULL"
    return props


@dataclass
class Sides:
    """The provider (provider-side scenarios) and the member (consumer-side scenarios), each
    acting through trading's REST API as the scenario says, once the TCK knows the state."""

    trading: Any
    provider: dict[str, str]
    member: dict[str, str]
    seed: Seed
    done: set[tuple[uuid.UUID, str]] = field(default_factory=set)
    steps: dict[uuid.UUID, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        scripts = {**CN_SCRIPTS, **CN_C_SCRIPTS}
        self.by_listing = {v: scripts[k] for k, v in self.seed.listings.items() if k in scripts}
        self.names = {v: k for k, v in self.seed.listings.items()}
        self.by_agreement = {v: k for k, v in self.seed.agreements.items()}

    async def _told(self, row_type: Any, key: Any, pid: uuid.UUID, state: str) -> bool:
        """Whether the TCK has been told (or said itself) that the process is in ``state``."""
        async with self.trading.app.state.database.unit_of_work() as session:
            found = (
                await session.execute(
                    select(row_type.notified_state, row_type.counterparty_pid).where(key == pid)
                )
            ).one_or_none()
        return found is not None and found[0] == state and found[1] is not None

    async def _post(self, headers: dict[str, str], path: str, body: Any = None) -> None:
        answer = await self.trading.post(path, headers=headers, json=body)
        if answer.status_code >= 300:
            self.errors.append(f"{path}: {answer.status_code} {answer.text[:200]}")

    async def negotiations(self, headers: dict[str, str]) -> None:
        page = await self.trading.get("/v1/negotiations", headers=headers, params={"limit": 200})
        for n in page.json()["items"]:
            state = n["state"]
            script = self.by_listing.get(uuid.UUID(n["listing_id"]))
            if script is None:
                continue
            nid = uuid.UUID(n["id"])
            rounds = len(n["offers"])
            step = "again" if state == "REQUESTED" and rounds > 1 else state
            action = script.get(step)
            if action is None or (nid, f"{step}:{rounds}") in self.done:
                continue
            if not await self._told(
                DspNegotiationRow, DspNegotiationRow.negotiation_id, nid, state
            ):
                continue
            self.done.add((nid, f"{step}:{rounds}"))
            name = self.names[uuid.UUID(n["listing_id"])]
            base = f"/v1/negotiations/{nid}"
            if action in ("offer", "counter"):
                terms = n["offers"][-1]["terms"]
                await self._post(headers, f"{base}/offers", {"terms": terms})
            elif action == "terminate":
                await self._post(headers, f"{base}/terminate", {"reason": f"{name} ends"})
            else:
                await self._post(headers, f"{base}/{action}")

    async def provider_transfers(self) -> None:
        page = await self.trading.get("/v1/transfers", headers=self.provider, params={"limit": 200})
        for t in page.json()["items"]:
            state = t["state"]
            scenario = self.by_agreement.get(uuid.UUID(t["agreement_id"]))
            if scenario not in TP_SCRIPTS or state in ("COMPLETED", "TERMINATED"):
                continue
            tid = uuid.UUID(t["id"])
            index = self.steps.get(tid, 0)
            script = TP_SCRIPTS[scenario]
            if index >= len(script):
                continue
            if not await self._told(DspTransferRow, DspTransferRow.transfer_id, tid, state):
                continue
            self.steps[tid] = index + 1
            step = script[index]
            base = f"/v1/transfers/{tid}"
            if step == "start":
                endpoint = f"https://data.press.example/v1/{tid}"
                await self._post(self.provider, f"{base}/start", {"endpoint": endpoint})
            elif step == "resume":
                await self._post(self.provider, f"{base}/resume")
            else:
                reason = {"reason": f"{scenario}: provider {step}s"}
                await self._post(self.provider, f"{base}/{step}", reason)

    async def member_transfers(self) -> None:
        page = await self.trading.get("/v1/transfers", headers=self.member, params={"limit": 200})
        for t in page.json()["items"]:
            state = t["state"]
            scenario = self.by_agreement.get(uuid.UUID(t["agreement_id"]))
            if scenario not in TP_C_SCRIPTS:
                continue
            tid = uuid.UUID(t["id"])
            index = self.steps.get(tid, 0)
            script = TP_C_SCRIPTS[scenario]
            if index >= len(script) or script[index][0] != state:
                continue
            if not await self._told(DspTransferRow, DspTransferRow.transfer_id, tid, state):
                continue
            self.steps[tid] = index + 1
            move = script[index][1]
            base = f"/v1/transfers/{tid}"
            if move == "confirm":
                await self._post(self.member, f"{base}/confirm")
            else:
                reason = {"reason": f"{scenario}: member {move}s"}
                await self._post(self.member, f"{base}/{move}", reason)

    async def run(self) -> None:
        while True:
            try:
                await self.negotiations(self.provider)
                await self.negotiations(self.member)
                await self.provider_transfers()
                await self.member_transfers()
            except httpx.HTTPError as exc:  # keep acting; the TCK reports what went wrong
                self.errors.append(repr(exc))
            await asyncio.sleep(0.1)


def trigger_relay(trading_url: str, member: dict[str, str]) -> Any:
    """The TCK's consumer-side triggers, relayed to the member's /v1/dsp REST calls (as an
    EDC operator's own back office would ask its connector to negotiate or transfer)."""
    relay = FastAPI()

    async def forward(path: str, body: dict[str, Any]) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=trading_url, timeout=10) as client:
            answer = await client.post(path, headers=member, json=body)
        assert answer.status_code == 201, answer.text
        result: dict[str, Any] = answer.json()
        return result

    @relay.post("/negotiations")
    async def negotiate(request: Request) -> dict[str, Any]:
        asked = await request.json()
        return await forward(
            "/v1/dsp/negotiations",
            {
                "connector_address": asked["connectorAddress"],
                "dataset_id": asked["datasetId"],
                "offer_id": asked["offerId"],
            },
        )

    @relay.post("/transfers")
    async def transfer(request: Request) -> dict[str, Any]:
        asked = await request.json()
        return await forward(
            "/v1/dsp/transfers",
            {
                "connector_address": asked["connectorAddress"],
                "agreement_id": asked["agreementId"],
                "format": asked["format"],
            },
        )

    return relay


@contextlib.asynccontextmanager
async def serving(app: Any, port: int) -> AsyncIterator[None]:
    """``app`` (already started) also served over real HTTP on ``port`` for the TCK."""
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.05)
        yield
    finally:
        server.should_exit = True
        await task


async def run_tck(properties: dict[str, str], workdir: Path) -> list[tuple[str, str, str]]:
    """Run every TCK module; returns (status, display name, message) per test case."""
    config = workdir / "tck.properties"
    config.write_text("".join(f"{k}={v}\n" for k, v in properties.items()))
    results = workdir / "tck-results.tsv"
    java = os.environ.get("JAVA", "java")
    process = await asyncio.create_subprocess_exec(
        java,
        "-cp",
        f"{LIBS}/*",
        str(LAUNCHER),
        str(config),
        str(results),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    (workdir / "tck-output.txt").write_bytes(output)
    assert process.returncode == 0, output.decode(errors="replace")[-3000:]
    rows = []
    for line in results.read_text().splitlines():
        status, name, _source, message = [*line.split("\t"), "", "", "", ""][:4]
        rows.append((status, name, message))
    return rows


def module_of(name: str) -> str:
    group = name.split(":", 1)[0]
    for module, prefix in MODULES.items():
        if group == prefix or group == f"{prefix}_C":
            return module
    return "other"
