"""The base of every request body: unknown fields refused, decimals read strictly.

``RequestModel`` forbids fields the model does not declare (a client cannot slip in ``id``,
``owner_participant_id`` or ``state``), and every field typed ``Decimal`` (also inside lists,
dicts and optionals) takes only a JSON string of ASCII digits with at most one point and an
optional sign (``datapark_contracts.money.DECIMAL_PATTERN``): never a JSON number (a binary
float), never ``"1E2"``, ``"1_000"``, ``" 1.00 "`` or non-ASCII digits. Money fields add their
own two-places rule (``datapark_contracts.money.Amount``, or the service's money check).

``create_app`` refuses to build an app whose request body is not a ``RequestModel``.

``BoundedInstant`` and ``BoundedDate`` keep dates a client sends within 2000-01-01 to
2099-12-31: far enough for any lease, far from the year-9999 edge where adding a padding, a
term or a grace period overflows (a 500) instead of being refused (a 422 naming the field).
"""

from __future__ import annotations

import types
import typing
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    GetJsonSchemaHandler,
    ValidationInfo,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from datapark_contracts.money import DECIMAL_PATTERN, strict_decimal


def _mentions_decimal(annotation: Any) -> bool:
    if annotation is Decimal:
        return True
    return any(_mentions_decimal(arg) for arg in typing.get_args(annotation))


def _check_decimals(value: Any) -> Any:
    """Apply the strict decimal text rule to ``value`` and whatever it contains."""
    if isinstance(value, list | tuple):
        for item in value:
            _check_decimals(item)
        return value
    if isinstance(value, dict):
        for item in value.values():
            _check_decimals(item)
        return value
    if value is None or isinstance(value, BaseModel):
        return value
    return strict_decimal(value)


class RequestModel(BaseModel):
    """Base class of request bodies (and of the models nested in them)."""

    model_config = ConfigDict(extra="forbid")
    _decimal_fields: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls._decimal_fields = frozenset(
            name
            for name, field in cls.model_fields.items()
            if _mentions_decimal(field.annotation) and not _is_model(field.annotation)
        )

    @field_validator("*", mode="before")
    @classmethod
    def _strict_decimals(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name in cls._decimal_fields:
            return _check_decimals(value)
        return value

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """Document what is accepted: a decimal is a string with ``DECIMAL_PATTERN`` (pydantic
        would advertise "a number or a string")."""
        schema = handler(core_schema)
        target = handler.resolve_ref_schema(schema)
        properties: dict[str, Any] = target.get("properties", {})
        for name in cls._decimal_fields:
            field = cls.model_fields[name]
            prop = properties.get(field.alias or name)
            if isinstance(prop, dict):
                _decimal_as_string(prop)
        return schema


def _decimal_as_string(schema: Any) -> None:
    """Rewrite, in place, every "number or string" alternative into the decimal string."""
    if isinstance(schema, list):
        for item in schema:
            _decimal_as_string(item)
        return
    if not isinstance(schema, dict):
        return
    choices = schema.get("anyOf")
    if isinstance(choices, list):
        numbers = [c for c in choices if isinstance(c, dict) and c.get("type") == "number"]
        strings = [c for c in choices if isinstance(c, dict) and c.get("type") == "string"]
        if numbers and strings:
            rest = [c for c in choices if c not in numbers and c not in strings]
            text = {"type": "string", "pattern": DECIMAL_PATTERN}
            if rest:
                schema["anyOf"] = [text, *rest]
            else:
                del schema["anyOf"]
                schema.update(text)
    for key in ("anyOf", "items", "additionalProperties", "prefixItems"):
        if key in schema:
            _decimal_as_string(schema[key])


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def forbids_extra(model: type[BaseModel]) -> bool:
    """Whether ``model`` refuses unknown fields (so does every ``RequestModel``)."""
    return model.model_config.get("extra") == "forbid"


def request_models(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an endpoint's body annotation names (unions and lists opened)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        return [m for arg in typing.get_args(annotation) for m in request_models(arg)]
    return []


EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2099, 12, 31)
_BOUNDS = f"between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}"


def _bounded_date(value: date) -> date:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError(f"must be {_BOUNDS}")
    return value


def _bounded_instant(value: datetime) -> datetime:
    # Compared in UTC when the instant carries an offset, as written when it does not (the
    # endpoint's own rule then refuses a missing offset where one is needed).
    try:
        day = value.astimezone(UTC).date() if value.utcoffset() is not None else value.date()
    except OverflowError:  # an offset that pushes year 9999 (or year 1) off the calendar
        raise ValueError(f"must be {_BOUNDS}") from None
    _bounded_date(day)
    return value


BoundedDate = Annotated[date, AfterValidator(_bounded_date)]
"""A calendar date a client sends, between 2000-01-01 and 2099-12-31."""

BoundedInstant = Annotated[datetime, AfterValidator(_bounded_instant)]
"""An instant a client sends, on a day between 2000-01-01 and 2099-12-31 (UTC)."""
