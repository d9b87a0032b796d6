"""The local SASL_SSL broker (``stack.sh secure-up``: TLS with a generated CA, client
certificates, SCRAM-SHA-512 users, ACLs from the topic registry) for the tests that use it."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ENV = ROOT / ".local" / "kafka-secure" / "client.env"


def secure_up() -> dict[str, str]:
    """Start (or find running) the SASL_SSL broker; its client settings, passwords included."""
    started = subprocess.run(
        ["bash", "deploy/local/stack.sh", "secure-up"],
        cwd=ROOT,
        timeout=600,
        capture_output=True,
        text=True,
    )
    assert started.returncode == 0, started.stdout + started.stderr
    values = {}
    for line in CLIENT_ENV.read_text().splitlines():
        key, _, value = line.partition("=")
        values[key] = value
    return values
