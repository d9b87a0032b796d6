"""`datapark-audit report --html` on a scratch log, rendered by Debian's headless Chromium
(installed by scripts/ensure_chromium.sh, which `make test` runs): the screenshot shows every
chart drawn, each in its own colours, with no network access needed."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from PIL import Image
from support.audit_log import (
    ScratchLog,
    budget_entry,
    chained,
    lease_activated,
    participant,
    raw_envelope,
)
from support.helpers import KAFKA
from typer.testing import CliRunner

from datapark_audit.cli import app
from datapark_audit.report import COLOURS

pytestmark = pytest.mark.integration


def _money(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "CNY"}


async def _scratch_log() -> ScratchLog:
    log = await ScratchLog(partitions=1).create()
    holder, lease_id = uuid.uuid4(), uuid.uuid4()
    agreement = str(uuid.uuid4())
    events = chained(
        [
            participant(holder),
            lease_activated(lease_id, holder),
            budget_entry(
                uuid.uuid4(), holder, cap="9000.00", reserved="1000.00", committed="5000.00"
            ),
        ]
    )
    # Trading facts as plain data (the chart reads venue, amount and month only).
    events.append(
        raw_envelope(
            "datapark.trading.order.placed.v1",
            str(uuid.uuid4()),
            {"agreement_id": agreement, "venue_code": "BJDEX"},
        )
    )
    events.append(
        raw_envelope(
            "datapark.trading.agreement.escrow_released.v1",
            agreement,
            {
                "agreement_id": agreement,
                "lock_id": str(uuid.uuid4()),
                "amount": _money("1200.00"),
                "lock_remaining": _money("0.00"),
                "seller_amount": _money("1140.00"),
                "fee_amount": _money("60.00"),
            },
        )
    )
    await log.produce(events)
    return log


def _pixels_near(image: Image.Image, colour: str, tolerance: int = 12) -> int:
    target = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    colours = image.convert("RGB").getcolors(maxcolors=1 << 24) or []
    return sum(
        count
        for count, pixel in colours
        if all(abs(pixel[i] - target[i]) <= tolerance for i in range(3))
    )


def test_report_renders_in_headless_chromium_with_every_chart_drawn(tmp_path: Path) -> None:
    chromium = shutil.which("chromium")
    assert chromium, "chromium is installed by scripts/ensure_chromium.sh (make test runs it)"
    log = asyncio.run(_scratch_log())
    try:
        report = tmp_path / "report.html"
        result = CliRunner().invoke(
            app,
            [
                "report",
                "--html",
                str(report),
                "--topic",
                log.data,
                "--bootstrap",
                KAFKA,
                "--no-progress",
            ],
        )
        # the trading facts are plain data, so verify and the invariants rightly complain
        assert result.exit_code == 1, result.output
        assert report.exists()
        html = report.read_text()
        assert "Invariant violations" in html
        assert 'src="http' not in html
        screenshot = tmp_path / "report.png"
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--hide-scrollbars",
                "--no-first-run",
                "--window-size=1000,2200",
                f"--screenshot={screenshot}",
                report.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=90,
        )
        image = Image.open(screenshot)
        assert image.size[0] >= 1000
        for name in ("budget_cap", "budget_used", "trade", "lease", "events"):
            drawn = _pixels_near(image, COLOURS[name])
            assert drawn > 300, f"chart colour {name} has only {drawn} pixels: chart not drawn"
    finally:
        asyncio.run(log.delete())
