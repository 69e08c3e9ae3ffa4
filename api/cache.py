"""Answers already computed, kept for the next caller who asks the same question.

A CLSPD morning is thirty people opening the same dashboard: the same layers and statistics for
the same filters. An answer depends only on the route, its query, the caller's secrecy (partner
or not), the incidents (the data version), the reference data (categories, communes, QPV: the
reference version) and, for windows counted back from today, the local day. All of these make
its key, so a cached answer is the answer the computation would give: nothing is served stale,
and an import or a purge changes the key rather than waiting for an expiry.

Each answer also gets an ``ETag`` (a digest of its key) and ``Cache-Control: private, no-cache``:
a browser keeps it, asks again with ``If-None-Match`` and gets an empty 304 while the data have
not changed (``Vary: Authorization``: a shared proxy must not give it to another caller).

The cache is per API process, bounded in bytes (OBS_ANSWER_CACHE_MB, 64 by default; 0 turns it
off), least recently used answers leave first.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from api.analytics import DataStateDep, SecrecyDep
from api.deps import SettingsDep

CACHE_CONTROL = "private, no-cache"
KEPT_HEADERS = ("content-type", "content-disposition")


@dataclass(frozen=True)
class Answer:
    """A computed answer: its body, the headers it needs, its ETag."""

    body: bytes
    headers: tuple[tuple[str, str], ...]
    etag: str

    @property
    def size(self) -> int:
        return len(self.body) + 256  # the key, the headers and the entry's own overhead

    def response(self, if_none_match: str | None) -> Response:
        headers = {**dict(self.headers), **validators(self.etag)}
        if if_none_match is not None and self.etag in _etags(if_none_match):
            headers.pop("content-type", None)
            return Response(status_code=304, headers=headers)
        return Response(self.body, headers=headers)


def validators(etag: str) -> dict[str, str]:
    return {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Vary": "Authorization"}


def _etags(header: str) -> set[str]:
    """The entity tags of an If-None-Match header (weak ones compared as strong: RFC 9110)."""
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}


class AnswerCache:
    """Answers by key, least recently used first out, within a byte budget; thread-safe."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._answers: OrderedDict[tuple[Any, ...], Answer] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[Any, ...]) -> Answer | None:
        with self._lock:
            answer = self._answers.get(key)
            if answer is None:
                self.misses += 1
                return None
            self._answers.move_to_end(key)
            self.hits += 1
            return answer

    def put(self, key: tuple[Any, ...], answer: Answer) -> None:
        if answer.size > self.max_bytes // 4:  # one huge answer must not empty the cache
            return
        with self._lock:
            previous = self._answers.pop(key, None)
            if previous is not None:
                self._bytes -= previous.size
            self._answers[key] = answer
            self._bytes += answer.size
            while self._bytes > self.max_bytes:
                _, oldest = self._answers.popitem(last=False)
                self._bytes -= oldest.size

    @property
    def size(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._answers)


@dataclass(frozen=True)
class AnswerKey:
    """What one request's answer depends on, and what its client already has."""

    cache: AnswerCache | None
    key: tuple[Any, ...]
    etag: str
    if_none_match: str | None


def get_answer_key(
    request: Request, state: DataStateDep, secrecy: SecrecyDep, settings: SettingsDep
) -> AnswerKey:
    query = tuple(sorted(request.query_params.multi_items()))
    today = datetime.now(settings.zone).date().isoformat()
    key = (
        request.url.path,
        query,
        secrecy.threshold,
        state.snapshot.version,
        state.reference,
        today,
    )
    etag = '"' + hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest() + '"'
    cache: AnswerCache | None = getattr(request.app.state, "answers", None)
    return AnswerKey(cache, key, etag, request.headers.get("if-none-match"))


AnswerKeyDep = Annotated[AnswerKey, Depends(get_answer_key)]


def _answer(result: Any, etag: str) -> Answer | None:
    """What the endpoint returned, as an answer to keep (None: not an answer to keep)."""
    if isinstance(result, Response):
        if result.status_code != 200 or not isinstance(result.body, bytes | memoryview):
            return None
        headers = tuple((k, v) for k, v in result.headers.items() if k in KEPT_HEADERS)
        return Answer(bytes(result.body), headers, etag)
    response = JSONResponse(jsonable_encoder(result))
    return Answer(bytes(response.body), (("content-type", "application/json"),), etag)


def cached(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """Serve the endpoint's answer from the cache when the same question was answered.

    The endpoint keeps its parameters (and its OpenAPI description); it runs in the thread pool
    as a plain ``def`` endpoint does, and only when the answer is not in the cache.
    """
    signature = inspect.signature(endpoint, eval_str=True)
    extra = inspect.Parameter("answer_key", inspect.Parameter.KEYWORD_ONLY, annotation=AnswerKeyDep)

    @functools.wraps(endpoint)
    async def answer(*args: Any, answer_key: AnswerKey, **kwargs: Any) -> Any:
        cache = answer_key.cache
        kept = cache.get(answer_key.key) if cache is not None else None
        if kept is None:
            result = await run_in_threadpool(endpoint, *args, **kwargs)
            kept = _answer(result, answer_key.etag)
            if kept is None:
                return result
            if cache is not None:
                cache.put(answer_key.key, kept)
        return kept.response(answer_key.if_none_match)

    answer.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*signature.parameters.values(), extra]
    )
    return answer
