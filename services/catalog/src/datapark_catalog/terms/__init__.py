"""Terms several catalog domains share: money and rates as the rules read and write them."""
