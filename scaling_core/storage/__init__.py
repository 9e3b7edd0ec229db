"""Persistence: the results store (SQLAlchemy, Alembic migrations), cache keys and the shipped measurement files."""
