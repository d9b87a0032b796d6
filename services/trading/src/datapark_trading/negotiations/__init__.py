"""Contract negotiation following the Dataspace Protocol."""
