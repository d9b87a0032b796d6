"""Concluding, amending and ending agreements, with what follows for delivery (transfers) and
escrow (settlement); the agreements API. The agreement record itself is in ``agreements``."""
