"""Outbound webhooks to exchange partners: signed, retried, logged."""
