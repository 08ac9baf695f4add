"""harkit (bootstrapping)."""
