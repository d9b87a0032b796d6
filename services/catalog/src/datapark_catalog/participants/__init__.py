"""Participants: companies and persons known to the park."""
