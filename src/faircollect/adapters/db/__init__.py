"""Database adapter: tables, Alembic migrations, repositories and the set-based batch."""
