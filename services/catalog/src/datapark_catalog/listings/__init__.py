"""catalog: listings."""
