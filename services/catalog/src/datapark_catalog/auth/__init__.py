"""Credentials and tokens: catalog is the platform's token issuer."""
