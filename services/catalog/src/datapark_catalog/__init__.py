"""datapark catalog service."""
