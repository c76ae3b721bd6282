"""Indexing: corpus files become articles (ingest), chunks (chunk), vectors (embed, embed_llama) and near-duplicate
pairs (dedup), written to the store by the incremental Indexer (indexer; repair fixes what an interrupted run left)."""
