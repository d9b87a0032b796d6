"""datapark_kit."""
