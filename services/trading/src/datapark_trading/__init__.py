"""datapark trading service."""
