"""The answer cache's bookkeeping: a byte budget, least recently used answers out first."""

from __future__ import annotations

from api.cache import Answer, AnswerCache, _etags


def answer(size: int, tag: str = '"t"') -> Answer:
    return Answer(b"x" * (size - 256), (("content-type", "application/json"),), tag)


def test_least_recently_used_answers_leave_first_within_the_budget() -> None:
    cache = AnswerCache(max_bytes=4_000)
    for n in range(3):
        cache.put((n,), answer(1_000))
    assert cache.get((0,)) is not None  # 0 is now the most recently used
    cache.put((3,), answer(1_000))
    cache.put((4,), answer(1_000))  # 5,000 bytes asked: the least recent (1) leaves
    assert cache.get((1,)) is None
    assert [cache.get((n,)) is not None for n in (0, 2, 3, 4)] == [True] * 4
    assert cache.size == 4_000
    assert len(cache) == 4


def test_an_answer_kept_again_replaces_the_first() -> None:
    cache = AnswerCache(max_bytes=10_000)
    cache.put(("a",), answer(1_000, '"1"'))
    cache.put(("a",), answer(2_000, '"2"'))
    kept = cache.get(("a",))
    assert kept is not None and kept.etag == '"2"'
    assert cache.size == 2_000
    assert len(cache) == 1


def test_an_answer_over_a_quarter_of_the_budget_is_not_kept() -> None:
    cache = AnswerCache(max_bytes=8_000)
    cache.put(("small",), answer(1_000))
    cache.put(("huge",), answer(2_001))
    assert cache.get(("huge",)) is None
    assert cache.get(("small",)) is not None  # and it pushed nothing out
    assert cache.hits == 1


def test_if_none_match_lists_and_weak_tags() -> None:
    assert _etags('"a", W/"b" ,"c"') == {'"a"', '"b"', '"c"'}
    kept = answer(300, '"b"')
    assert kept.response('"a", W/"b"').status_code == 304
    assert kept.response('"a"').status_code == 200
    assert kept.response(None).body == kept.body


def test_json_body_is_what_fastapi_writes_and_null_for_what_json_cannot_hold() -> None:
    from datetime import date

    from fastapi.encoders import jsonable_encoder
    from fastapi.responses import JSONResponse

    from api.cache import json_body

    plain = {"libellé": "Tapage nocturne", "n": [1, 2.5, None, True], "sous": {"z": -1.25}}
    assert json_body(plain) == JSONResponse(jsonable_encoder(plain)).body
    assert json_body({"jour": date(2025, 3, 30)}) == b'{"jour":"2025-03-30"}'
    assert json_body({"z": float("nan"), "l": [float("inf"), 1.0]}) == b'{"z":null,"l":[null,1.0]}'
