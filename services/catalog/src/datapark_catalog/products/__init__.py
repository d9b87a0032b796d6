"""catalog: products."""
