"""subsidy's settings (env prefix ``DATAPARK_SUBSIDY_``)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from datapark_kit.settings import ServiceSettings


class SubsidySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DATAPARK_SUBSIDY_", extra="ignore")

    service_name: str = "subsidy"
    port: int = 8004
    sweep_seconds: float = Field(
        default=60.0, gt=0, description="how often lapsed fund reservations expire"
    )
