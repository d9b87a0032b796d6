"""rental's settings (env prefix ``DATAPARK_RENTAL_``)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from datapark_kit.settings import ServiceSettings


class RentalSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DATAPARK_RENTAL_", extra="ignore")

    service_name: str = "rental"
    port: int = 8003
    hold_ttl_seconds: int = Field(default=900, gt=0, description="how long a hold lives")
    sweep_seconds: float = Field(
        default=5.0,
        gt=0,
        description="how often holds expire, overdue bookings are flagged "
        "and lease installments fall due",
    )
    penalty_daily_rate: str = Field(default="0.0005", description="late-payment penalty a day")
    penalty_grace_days: int = Field(default=3, ge=0)
    termination_fee_rate: str = Field(
        default="0.02", description="early-buyout fee on the outstanding principal"
    )
    ltv_ceiling: str = Field(
        default="1.00",
        pattern=r"^[0-9]\.[0-9]{1,4}$",
        description="loan-to-value above which no mitigation is accepted (risk review)",
    )
