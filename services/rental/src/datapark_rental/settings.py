"""rental's settings (env prefix ``DATAPARK_RENTAL_``)."""

from pydantic_settings import SettingsConfigDict

from datapark_kit.settings import ServiceSettings


class RentalSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DATAPARK_RENTAL_", extra="ignore")

    service_name: str = "rental"
    port: int = 8003
