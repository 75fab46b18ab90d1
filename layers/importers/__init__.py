"""Importers: one module per source kind. Each import runs in one transaction and returns a report."""
