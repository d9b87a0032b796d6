"""How the auditor connects: flags override ``DATAPARK_AUDIT_*`` environment variables.

The auditor trusts none of the services, so it shares no settings code with them: its own
Kafka connection (bootstrap, TLS, SASL), its own read-only database URL for ``--compare``, and
the services' published checkpoint keys (a JWKS file).
"""

from __future__ import annotations

import json
import os
import ssl
from pathlib import Path
from typing import Any, Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# The public half of the repository's development checkpoint key (datapark_kit.devkeys): used
# only when no key file is given, and every report says so.
DEV_CHECKPOINT_JWKS: dict[str, Any] = {
    "keys": [
        {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": "IR1qJyzNVTZc7zFl1jr_keBjN2VYB3E99aK7ZpaTDho",
            "kid": "datapark-dev-checkpoints-1",
            "alg": "EdDSA",
            "use": "sig",
        }
    ]
}


class UsageError(Exception):
    """Bad flags, settings or an unreachable cluster: exit status 2, one clear sentence."""


class AuditSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DATAPARK_AUDIT_", env_file=None, extra="ignore")

    bootstrap: str = f"127.0.0.1:{os.environ.get('DATAPARK_KAFKA_PORT', '9092')}"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    ssl_cafile: str | None = None
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    database_url: SecretStr | None = None
    checkpoint_keys: str | None = None
    request_timeout_ms: int = 10_000

    def kafka_options(self) -> dict[str, Any]:
        """Keyword arguments for every aiokafka client the auditor builds."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap,
            "security_protocol": self.security_protocol,
            "request_timeout_ms": self.request_timeout_ms,
        }
        if self.security_protocol in ("SSL", "SASL_SSL"):
            try:
                context = ssl.create_default_context(cafile=self.ssl_cafile)
                if self.ssl_certfile:
                    context.load_cert_chain(self.ssl_certfile, self.ssl_keyfile)
            except (OSError, ssl.SSLError) as exc:
                raise UsageError(f"cannot use the TLS files given: {exc}") from None
            options["ssl_context"] = context
        if self.security_protocol.startswith("SASL"):
            if not (self.sasl_mechanism and self.sasl_username and self.sasl_password):
                raise UsageError(
                    "SASL needs --sasl-mechanism, --sasl-username and DATAPARK_AUDIT_SASL_PASSWORD"
                )
            options["sasl_mechanism"] = self.sasl_mechanism
            options["sasl_plain_username"] = self.sasl_username
            options["sasl_plain_password"] = self.sasl_password.get_secret_value()
        return options

    def keys(self) -> tuple[dict[str, Any], bool]:
        """The published checkpoint keys, and whether they are the development ones."""
        if not self.checkpoint_keys:
            return DEV_CHECKPOINT_JWKS, True
        path = Path(self.checkpoint_keys)
        try:
            document = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot read checkpoint keys {path}: {exc}") from exc
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise UsageError(f"{path} is not a JWKS document ({{'keys': [...]}})")
        return document, False
