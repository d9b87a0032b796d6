"""Types of the compiled module (``_record.c``)."""

from collections.abc import Callable, Sequence
from typing import Any

from datapark_contracts.envelope import Envelope

def configure(
    envelope: type[Envelope],
    uuid: type,
    decode: Callable[[bytes], Any],
    sha256: Callable[[bytes], Any],
    unknown: object,
) -> None: ...
def parse(
    key: bytes | None, value: bytes | None, headers: Sequence[tuple[str, bytes]]
) -> Envelope | None: ...
