"""Saving and loading fitted models: versioned, checksummed files, no pickle."""
