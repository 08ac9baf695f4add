"""Survival and mortality methods valid for a decedents-only register (in progress)."""
