"""datapark_eventing."""
