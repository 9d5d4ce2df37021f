"""Errors the store reports to people (a bad --db path, a database from a newer version)."""

from __future__ import annotations


class StoreOpenError(RuntimeError):
    """The database file could not be opened or brought up to date (the message says why)."""


class SchemaTooNewError(StoreOpenError):
    """The database was written by a newer version of this program."""
