"""Tests of the domain package, layers: its rooms, its structure (import rules, no cycles) and migrations."""
