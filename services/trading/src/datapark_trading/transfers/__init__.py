"""Delivery (交付) as a Dataspace transfer process, with access grants and metered use."""
