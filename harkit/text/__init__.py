"""Concept search in record text (in progress)."""
