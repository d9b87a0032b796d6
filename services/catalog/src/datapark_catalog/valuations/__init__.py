"""catalog: valuations."""
