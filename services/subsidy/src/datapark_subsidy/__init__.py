"""datapark subsidy service."""
