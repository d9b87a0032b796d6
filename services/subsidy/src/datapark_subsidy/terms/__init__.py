"""Terms several subsidy domains share: rule inputs and results, the park clock, wire shapes."""
