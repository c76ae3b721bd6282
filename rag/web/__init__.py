"""The web chat's pieces that do not need a page: HTML rendering, corpus-file helpers and the event handlers."""
