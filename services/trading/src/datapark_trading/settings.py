"""trading's settings (env prefix ``DATAPARK_TRADING_``)."""

from __future__ import annotations

from pydantic import model_validator
from pydantic_settings import SettingsConfigDict

from datapark_kit.settings import ServiceSettings


class TradingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DATAPARK_TRADING_", extra="ignore")

    service_name: str = "trading"
    port: int = 8002
    # how long a buyer has to confirm receipt before the venue confirms it
    confirm_after_seconds: int = 7 * 24 * 3600
    # background sweep: expire negotiations and locks, confirm receipts automatically
    sweep_interval_seconds: float = 30.0
    # outbound webhooks
    webhook_poll_seconds: float = 1.0
    webhook_timeout_seconds: float = 5.0
    webhook_backoff_base_seconds: float = 10.0
    webhook_backoff_cap_seconds: float = 6 * 3600.0
    webhook_max_attempts: int = 12
    webhook_tolerance_seconds: int = 300

    @model_validator(mode="after")
    def _quick_in_tests(self) -> TradingSettings:
        """In the test environment webhooks retry within a second unless set otherwise, so a
        test can watch a whole retry sequence against a real receiver."""
        if self.environment == "test":
            quick = {
                "webhook_poll_seconds": 0.1,
                "webhook_backoff_base_seconds": 0.2,
                "webhook_backoff_cap_seconds": 1.0,
                "webhook_max_attempts": 5,
            }
            for name, value in quick.items():
                if name not in self.model_fields_set:
                    setattr(self, name, value)
        return self
