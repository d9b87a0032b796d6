"""Clearing and settlement (清结算): the escrow ledger and what each pricing form settles."""
