"""Cited question answering over a corpus of Arabic news articles."""

__version__ = "0.1.0"
