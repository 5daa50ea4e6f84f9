"""Pure chunk kernels: a set of loans (or accounts) in, results out; no I/O, no threads.

Jobs run them over shards with a runner that bootstrap chooses (`adapters.runners`).
"""
