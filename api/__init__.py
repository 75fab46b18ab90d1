"""Patchmap's HTTP API (FastAPI) and its command line (Typer)."""
