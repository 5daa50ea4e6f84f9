"""Lending knowledge: loans, schedules, payment allocation, delinquency, lawful amounts.

Pure: imports only `faircollect.kit` and the standard library; never reads the clock,
the environment or a database.
"""
