"""Orders: buying a listed data product at its listed price terms."""
