"""Scoring stage (private): pair evidence on one scale, and candidate neighbours.

``similarity`` standardises each cosine against the two articles' backgrounds and combines the
evidence (dense, words, names and numbers, time) into one score, shared by batch, stream and
engines; ``neighbors`` finds the candidate pairs that large corpora score instead of all pairs.
"""
