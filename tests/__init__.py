"""Patchmap's tests: they mirror the packages (layers/, api/, mapping/) and share conftest.py and the helpers here."""
