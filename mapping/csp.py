"""Inline scripts under a strict Content-Security-Policy: each gets the answer's one-time nonce.

The pages' own scripts are files served by the app; the inline ones left are the map's start (folium
writes it with the page's settings in it). The API sets ``script-src 'self' 'nonce-…'`` and hands the
nonce here. Only real tags are touched: every user-supplied string on a page is escaped, so the text
``<script`` cannot come from data, and JSON inside a script has ``<`` escaped as ``\\u003c``.
"""

from __future__ import annotations

import re

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)(?=[\s>])", re.IGNORECASE)


def with_nonce(html: str, nonce: str) -> str:
    """``html`` with ``nonce="…"`` on every inline ``<script>`` tag (those without ``src``)."""
    if not nonce:
        return html
    return INLINE_SCRIPT.sub(f'<script nonce="{nonce}"', html)
