"""Authentication: SigV4 verification, credential lookup, the caller's identity."""
