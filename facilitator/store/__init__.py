"""Persistence behind a narrow interface; SQLite by default. The only package with SQL.

Imports `schedule`, `plan` and the shared basics.
"""
