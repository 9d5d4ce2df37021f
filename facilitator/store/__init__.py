"""Persistence behind a narrow interface; SQLite by default."""
