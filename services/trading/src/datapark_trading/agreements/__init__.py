"""Agreements (contracts) with their usage policy."""
