"""Partner webhooks against a real local HTTP receiver: signed deliveries of every change to
a member's trades, retried with backoff through failures, kept when the receiver is down and
redelivered on request."""

from __future__ import annotations

import itertools
import json
import threading
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from integration.trading.trading_support import fund, listed_product, participant, policy
from support.helpers import eventually

from datapark_trading.webhooks import signing

pytestmark = pytest.mark.integration


class Receiver:
    """A partner's endpoint: answers 503 to each delivery's first ``failures`` attempts."""

    def __init__(self, failures: int = 2, port: int = 0) -> None:
        self.failures = failures
        self.requests: list[dict[str, Any]] = []
        self.seen: dict[str, int] = defaultdict(int)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                delivery = self.headers["Datapark-Delivery-Id"]
                receiver.seen[delivery] += 1
                ok = receiver.seen[delivery] > receiver.failures
                receiver.requests.append(
                    {
                        "headers": dict(self.headers),
                        "body": body,
                        "ok": ok,
                        "at": datetime.now(UTC),
                    }
                )
                self.send_response(200 if ok else 503)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/datapark-hook"

    def accepted(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["ok"]]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


async def test_signed_deliveries_retried_kept_and_redelivered(catalog, trading, token) -> None:
    seller = await participant(catalog, trading, token)
    buyer = await participant(catalog, trading, token)
    partner = await participant(catalog, trading, token, roles=["partner"])
    _, listing_id = await listed_product(
        catalog, trading, token, seller, {"kind": "fixed", "price": "80.00"}
    )
    await fund(trading, token, buyer, "100.00")
    partner_h = token("partner", participant_id=partner)

    # a partner acts only for its members
    stranger = await trading.post(
        "/v1/orders",
        headers=partner_h | {"Datapark-On-Behalf-Of": str(buyer)},
        json={"listing_id": str(listing_id), "policy": policy()},
    )
    assert stranger.status_code == 403
    member = await trading.put(f"/v1/partners/{partner}/members/{buyer}", headers=token("operator"))
    assert member.status_code == 200, member.text

    receiver = Receiver(failures=2)
    try:
        subscribed = await trading.post(
            "/v1/webhook-subscriptions", headers=partner_h, json={"url": receiver.url}
        )
        assert subscribed.status_code == 201, subscribed.text
        secret = subscribed.json()["secret"]
        sid = subscribed.json()["id"]

        placed = await trading.post(
            "/v1/orders",
            headers=partner_h | {"Datapark-On-Behalf-Of": str(buyer)},
            json={"listing_id": str(listing_id), "policy": policy()},
        )
        assert placed.status_code == 201, placed.text
        assert placed.json()["placed_by"] == str(partner)
        assert placed.json()["consumer_id"] == str(buyer)

        wanted = {
            "datapark.trading.order.placed.v1",
            "datapark.trading.agreement.concluded.v1",
            "datapark.trading.agreement.escrow_locked.v1",
        }

        async def all_delivered() -> bool:
            types = {r["headers"]["Datapark-Event-Type"] for r in receiver.accepted()}
            return wanted <= types

        await eventually(all_delivered, timeout=60, interval=0.2)
        now = datetime.now(UTC)
        for request in receiver.accepted():
            header = request["headers"][signing.HEADER]
            assert signing.verify(secret, header, request["body"], now=now)
            with pytest.raises(Exception, match="signature"):
                signing.verify("wrong-secret", header, request["body"], now=now)
            event = json.loads(request["body"])
            assert event["specversion"] == "1.0"
            assert event["type"] == request["headers"]["Datapark-Event-Type"]
        order_event = next(
            json.loads(r["body"])
            for r in receiver.accepted()
            if r["headers"]["Datapark-Event-Type"].endswith("order.placed.v1")
        )
        assert order_event["data"]["order_id"] == placed.json()["id"]

        # every delivery failed twice and got through on the third attempt, with growing waits
        async def logged_as_delivered() -> Any:
            # the sender records the outcome just after the receiver has answered
            log = (
                await trading.get(f"/v1/webhook-subscriptions/{sid}/deliveries", headers=partner_h)
            ).json()["items"]
            found = [d for d in log if d["event_type"].endswith("order.placed.v1")]
            return found[0] if found and found[0]["status"] == "delivered" else None

        first = await eventually(logged_as_delivered, timeout=30, interval=0.2)
        assert [a["status_code"] for a in first["log"]] == [503, 503, 200]
        times = [datetime.fromisoformat(a["at"]) for a in first["log"]]
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
        # the backoff schedule (0.2 s, then 0.4 s in the test environment) is a floor: a busy
        # sender may be later, never earlier
        assert gaps[0] >= 0.2
        assert gaps[1] >= 0.4
    finally:
        receiver.stop()

    # the receiver is down: the delivery is retried to exhaustion and kept
    await fund(trading, token, buyer, "5.00")

    async def exhausted() -> Any:
        items = (
            await trading.get(f"/v1/webhook-subscriptions/{sid}/deliveries", headers=partner_h)
        ).json()["items"]
        found = [d for d in items if d["event_type"].endswith("funds_deposited.v1")]
        return found[0] if found and found[0]["status"] == "exhausted" else None

    kept = await eventually(exhausted, timeout=60, interval=0.3)
    assert kept["attempts"] == 5
    assert all(a["status_code"] is None for a in kept["log"])

    back = Receiver(failures=0, port=receiver.port)
    try:
        again = await trading.post(
            f"/v1/webhook-deliveries/{kept['id']}/redeliver", headers=partner_h
        )
        assert again.status_code == 200, again.text

        async def redelivered() -> bool:
            return any(
                r["headers"]["Datapark-Event-Type"].endswith("funds_deposited.v1")
                for r in back.accepted()
            )

        await eventually(redelivered, timeout=15, interval=0.2)
        request = back.accepted()[0]
        assert signing.verify(
            secret, request["headers"][signing.HEADER], request["body"], now=datetime.now(UTC)
        )
        assert json.loads(request["body"])["data"]["account_id"] == str(buyer)
    finally:
        back.stop()
    assert (
        await trading.get(
            f"/v1/webhook-subscriptions/{sid}/deliveries",
            headers=token("partner", participant_id=uuid.uuid4()),
        )
    ).status_code == 404
