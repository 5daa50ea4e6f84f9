"""Channels behind one port. Only the dispatcher (adapters/db/cycle_job.py) may reach them, and
only with an allowing gate decision taken at send time: tests/unit/test_architecture.py checks it."""
