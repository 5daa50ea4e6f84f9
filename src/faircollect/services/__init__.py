"""Use cases. Each public function is one unit of work that the caller commits; storage and
crypto are reached through the ports in `ports.py`.

May import domain and kit; never adapters, entrypoints or a framework.
"""
