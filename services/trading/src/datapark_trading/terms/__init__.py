"""Terms several trading domains share: money, pricing, the parties, the agreement as a value
and its usage policy (pure; no I/O)."""
