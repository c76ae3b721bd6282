"""Retrieval: a question is analysed (features, translit), searched densely in Chroma and by keywords in FTS5 (bm25),
fused and reranked (rerank, with the weights model loads) under date/outlet filters (filters); retrieve.HybridRetriever returns Hits."""
