"""`datapark-audit verify` against the local SASL_SSL broker (``stack.sh secure-up``: TLS with
client certificates, SCRAM-SHA-512, ACLs from the topic registry) as the read-only ``audit``
principal, with TLS and SASL given as flags and the password only in the environment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.kafka_secure import secure_up
from typer.testing import CliRunner

from datapark_audit.cli import app
from datapark_contracts.topics import TOPICS

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def secure() -> dict[str, str]:
    return secure_up()


def _verify(secure: dict[str, str], password: str, out: Path) -> tuple[int, str]:
    result = CliRunner().invoke(
        app,
        [
            "verify",
            "--bootstrap",
            secure["DATAPARK_KAFKA_BOOTSTRAP"],
            "--security-protocol",
            "SASL_SSL",
            "--ssl-cafile",
            secure["DATAPARK_KAFKA_SSL_CAFILE"],
            "--ssl-certfile",
            secure["DATAPARK_KAFKA_SSL_CERTFILE"],
            "--ssl-keyfile",
            secure["DATAPARK_KAFKA_SSL_KEYFILE"],
            "--sasl-mechanism",
            "SCRAM-SHA-512",
            "--sasl-username",
            "audit",
            "--no-progress",
            "--json",
            str(out),
        ],
        env={"DATAPARK_AUDIT_SASL_PASSWORD": password, "DATAPARK_AUDIT_REQUEST_TIMEOUT_MS": "5000"},
    )
    return result.exit_code, result.output


def test_the_audit_principal_reads_every_platform_topic_over_sasl_ssl(secure, tmp_path) -> None:
    out = tmp_path / "verify.json"
    code, output = _verify(secure, secure["DATAPARK_KAFKA_SASL_PASSWORD_AUDIT"], out)
    assert code in (0, 1), output  # read it all: the verdict is the log's, not a usage error
    result = json.loads(out.read_text())
    read = {name.rsplit("/", 1)[0] for name in result["snapshot"]}
    assert {t.name for t in TOPICS} <= read
    assert result["missing_topics"] == []


def test_a_wrong_password_is_a_usage_error(secure, tmp_path) -> None:
    code, output = _verify(secure, "not-the-password", tmp_path / "none.json")
    assert code == 2
    assert "cannot reach Kafka at" in output
    assert "not-the-password" not in output


def test_unreadable_tls_files_are_a_usage_error(tmp_path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "verify",
            "--security-protocol",
            "SSL",
            "--ssl-cafile",
            str(tmp_path / "missing-ca.pem"),
            "--no-progress",
        ],
    )
    assert result.exit_code == 2
    assert "cannot use the TLS files given" in result.output
