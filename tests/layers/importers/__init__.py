"""Tests of layers.importers: one module per source kind, on real files and hostile ones."""
