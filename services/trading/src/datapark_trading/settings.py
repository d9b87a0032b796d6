"""trading's settings (env prefix ``DATAPARK_TRADING_``)."""

from pydantic_settings import SettingsConfigDict

from datapark_kit.settings import ServiceSettings


class TradingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DATAPARK_TRADING_", extra="ignore")

    service_name: str = "trading"
    port: int = 8002
