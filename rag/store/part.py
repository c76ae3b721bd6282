"""The base of the manifest's parts: each owns some tables (its SCHEMA fragment) and reads and writes them through the
manifest's one SQLite connection, inside the manifest's transaction when a batch() is open."""
from __future__ import annotations


class Part:
    SCHEMA = ""  # CREATE ... IF NOT EXISTS statements, run by Manifest._open in part order

    def __init__(self, manifest) -> None:
        self._manifest = manifest

    @property
    def db(self):
        return self._manifest.db

    def _write(self):
        """This write's transaction: its own, or the enclosing Manifest.batch()'s."""
        return self._manifest.write()

    def upgrade(self, db) -> None:
        """Bring a manifest written by an older version up to this part's schema (runs after SCHEMA, on every open)."""
