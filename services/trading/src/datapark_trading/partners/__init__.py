"""Exchange partners acting for their members."""
