"""The Dataspace Protocol (DSP 2025-1) HTTPS binding: partners' connectors (Eclipse EDC and the
connectors built on it) negotiate and transfer with datapark in the protocol itself. Every DSP
process is an existing negotiation or transfer of trading, not a copy."""
