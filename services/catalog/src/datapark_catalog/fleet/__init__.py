"""catalog: fleet."""
