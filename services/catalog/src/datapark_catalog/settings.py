"""catalog's settings (env prefix ``DATAPARK_CATALOG_``)."""

from pydantic_settings import SettingsConfigDict

from datapark_kit.settings import IssuerSettings


class CatalogSettings(IssuerSettings):
    model_config = SettingsConfigDict(env_prefix="DATAPARK_CATALOG_", extra="ignore")

    service_name: str = "catalog"
    port: int = 8001
