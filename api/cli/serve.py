"""``patchmap serve``: run the web app with uvicorn."""

from __future__ import annotations

from typing import Annotated

from api.cli.common import option, terminal
from layers.settings import Settings

#: Addresses meaning "every interface" (recognised here to print a usable address, not bound to).
ALL_ADDRESSES = ("0.0.0.0", "::", "")  # noqa: S104


def addresses(host: str, port: int) -> list[str]:
    """Where to open Patchmap: the residents' map, the officers' map, sign-in, API docs and health. An app
    bound to every address is opened through localhost (0.0.0.0 is not an address a browser can visit)."""
    shown = "localhost" if host in ALL_ADDRESSES else (f"[{host}]" if ":" in host else host)
    base = f"http://{shown}:{port}"
    lines = [
        f"Patchmap is at [bold]{base}/[/bold] (the residents' map)",
        f"  officers' map: {base}/analysis   sign in (co-ordinators, admins): {base}/sign-in",
        f"  API docs: {base}/docs   health: {base}/health",
    ]
    if host in ALL_ADDRESSES:
        lines.append(f"  listening on every network address ({host or ALL_ADDRESSES[0]}), port {port}")
    return lines


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
    for line in addresses(host, port):
        terminal().print(line, highlight=False)
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
