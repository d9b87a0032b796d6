"""Terms several subsidy domains share: the policies and their dated parameters, rule inputs
and results, the park clock, wire shapes."""
