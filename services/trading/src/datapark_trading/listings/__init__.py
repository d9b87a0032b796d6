"""The local view of catalog's listings: what may be traded, on which venue, at which terms."""
