"""Comparative statistics (in progress)."""
