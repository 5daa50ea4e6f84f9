"""Adapters: the database (tables, migrations, repositories, set-based batch), tape files,
reference data, key storage and the synthetic portfolio generator.

May import services, domain and kit, and any framework; never entrypoints.
"""
