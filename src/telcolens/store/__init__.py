"""The operational store: SQLAlchemy models and Alembic migrations."""
