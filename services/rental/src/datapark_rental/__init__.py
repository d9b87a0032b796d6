"""datapark rental service."""
