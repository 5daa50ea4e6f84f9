"""Channels behind one port. Only the dispatcher (services/cycle_dispatch.py) may reach them, and
only with an allowing gate decision taken at send time: tests/unit/test_architecture.py checks it."""
