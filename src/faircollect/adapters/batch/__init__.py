"""Set-based daily batch: whole-portfolio ledger replay as NumPy array programs."""
