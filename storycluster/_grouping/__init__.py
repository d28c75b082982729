"""Grouping stage (private): scores into events.

``linkage`` runs average linkage (dense for small corpora, sparse over candidate pairs for large
ones) and gives labels a canonical order; ``representatives`` builds the event objects: members,
representative, keywords, near-copies.
"""
