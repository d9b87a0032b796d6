"""Terms several rental domains share: money and its wire shapes."""
