"""Unified Social Credit Code (统一社会信用代码, GB 32100-2015) validation."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))


class InvalidUSCC(ValueError):
    """The code has a bad length, a character outside the alphabet, or a wrong check character."""


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    value = 31 - total % 31
    return ALPHABET[0 if value == 31 else value]


def validate_uscc(code: str) -> str:
    """Return the normalised (upper-case) code or raise :class:`InvalidUSCC` saying why."""
    normalised = code.strip().upper()
    if len(normalised) != 18:
        raise InvalidUSCC(f"must be 18 characters, got {len(normalised)}")
    bad = sorted({c for c in normalised if c not in ALPHABET})
    if bad:
        raise InvalidUSCC(f"characters not allowed: {''.join(bad)} (I, O, S, V, Z never occur)")
    if not normalised[2:8].isdigit():
        raise InvalidUSCC("positions 3-8 must be the 6-digit division code")
    expected = check_character(normalised[:17])
    if normalised[17] != expected:
        raise InvalidUSCC(f"check character is {normalised[17]}, expected {expected}")
    return normalised
