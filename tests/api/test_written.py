"""Kept answers' JSON and gzip are written once per answer object (api/written.py)."""

from __future__ import annotations

import gzip

import orjson

from api.written import KEPT, encoded


def test_an_answer_is_written_and_gzipped_once_and_given_again() -> None:
    answer = {"areas": [{"code": f"E05{n:06d}", "gap": n / 7} for n in range(500)]}
    body, packed = encoded(answer, gzip=False)
    assert not packed and orjson.loads(body) == answer
    zipped, packed = encoded(answer, gzip=True)
    assert packed and gzip.decompress(zipped) == body
    assert encoded(answer, gzip=True)[0] is zipped and encoded(answer, gzip=False)[0] is body


def test_a_small_answer_is_not_gzipped_and_other_answers_push_old_ones_out() -> None:
    small = {"areas": []}
    assert encoded(small, gzip=True) == (b'{"areas":[]}', False)
    first = {"areas": ["x" * 2000]}
    kept = encoded(first, gzip=False)[0]
    others = [{"areas": [n] * 400} for n in range(KEPT)]
    for other in others:
        encoded(other, gzip=True)
    again = encoded(first, gzip=False)[0]
    assert again == kept and again is not kept  # written afresh: it was no longer kept
