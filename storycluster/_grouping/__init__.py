"""Grouping stage (private): scores into events.

``linkage`` runs average linkage (dense for small corpora, sparse over candidate pairs for large
ones) and gives labels a canonical order; ``representatives`` builds the event objects: members,
representative, keywords, near-copies; ``ids`` names an event after its founding article, the
one id scheme of batch, stream and engines.
"""
