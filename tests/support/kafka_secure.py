"""The local SASL_SSL broker (``stack.sh secure-up``: TLS with a generated CA, client
certificates, SCRAM-SHA-512 users, ACLs from the topic registry) for the tests that use it."""

from __future__ import annotations

import os
import subprocess
import sys
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
    # the registry's topics exist on it whichever test runs first (a new broker has none)
    created = subprocess.run(
        [sys.executable, "-m", "datapark_eventing.topics"],
        cwd=ROOT,
        env={
            **os.environ,
            **values,
            "DATAPARK_KAFKA_SASL_USERNAME": "admin",
            "DATAPARK_KAFKA_SASL_PASSWORD": values["DATAPARK_KAFKA_SASL_PASSWORD_ADMIN"],
        },
        timeout=120,
        capture_output=True,
        text=True,
    )
    assert created.returncode == 0, created.stdout + created.stderr
    return values
