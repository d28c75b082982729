"""Feature stage (private): dense embeddings (with an on-disk cache) and TF-IDF and entity vectors.

``embedding`` wraps sentence-transformers, ``cache`` keeps vectors on disk by content hash,
``vectors`` resolves the embedder a ``model`` parameter names and validates given vectors,
``features`` builds the per-article bundle the scoring stage reads.
"""
