"""datapark_contracts."""
