"""``patchmap serve``: run the web app with uvicorn."""

from __future__ import annotations

from typing import Annotated

from api.cli.common import option, terminal
from layers.settings import Settings


def serve(
    host: Annotated[
        str | None,
        option("ADDRESS", "The address to listen on (default: PATCHMAP_HOST, or 127.0.0.1)."),
    ] = None,
    port: Annotated[
        int | None,
        option("PORT", "The port to listen on (default: PORT or PATCHMAP_PORT, or 8000)."),
    ] = None,
    workers: Annotated[
        int | None,
        option("N", "How many uvicorn worker processes to run (default: PATCHMAP_WORKERS, or 1)."),
    ] = None,
) -> None:
    """Serve the app with uvicorn and print its addresses."""
    import uvicorn

    settings = Settings()
    host = host or settings.server.host
    port = port or settings.server.port
    base = f"http://{host}:{port}"
    terminal().print(f"Patchmap is at [bold]{base}/[/bold]  API docs: {base}/docs  health: {base}/health")
    uvicorn.run(
        "api.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers or settings.server.workers,
        log_level="info",
        # No access log: request URLs carry postcodes and coordinates, which we don't log.
        access_log=False,
    )
