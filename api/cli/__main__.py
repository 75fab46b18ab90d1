"""``python -m api.cli``: the same command line as ``patchmap`` (every command is registered on import)."""

from api.cli import app

app(prog_name="patchmap")
