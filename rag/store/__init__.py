"""Where the index lives: the Chroma collection (chroma.Store) and the SQLite manifest (manifest.Manifest) composed of
parts that each own their tables: files/chunks, the FTS5 keyword index, article metadata, near-duplicates, sentence vectors."""
from rag.store.chroma import SERVER_TIMEOUT, Store
from rag.store.manifest import Manifest

__all__ = ["SERVER_TIMEOUT", "Manifest", "Store"]
