"""datapark-audit: verify, rebuild and cross-check the platform's event log, trusting no service."""
