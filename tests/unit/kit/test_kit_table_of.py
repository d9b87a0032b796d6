"""``table_of``: a declarative class's Table, typed as one; anything else is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, select
from sqlalchemy.orm import DeclarativeBase

from datapark_kit.db import table_of


class _Base(DeclarativeBase):
    metadata = MetaData(schema="unit")


class _Row(_Base):
    __tablename__ = "rows"
    id = Column(Integer, primary_key=True)


def test_the_mapped_table_is_returned() -> None:
    table = table_of(_Row)
    assert isinstance(table, Table)
    assert table is _Row.__table__
    assert table.fullname == "unit.rows"


def test_a_class_mapped_to_something_other_than_a_table_is_refused() -> None:
    class _View:
        __table__ = select(_Row.__table__.c.id).subquery()

    with pytest.raises(TypeError, match="_View is not mapped to a Table"):
        table_of(_View)
