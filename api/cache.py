"""Answers already computed, kept for the next caller who asks the same question.

A CLSPD morning is thirty people opening the same dashboard: the same layers and statistics for
the same filters. An answer depends only on the route, its query, the caller's audience
(full, analyst or partner: observatory/privacy/policy.py), the incidents (the data version),
the reference data (categories, communes, QPV: the reference version), the caller's scope
(the communes it may see: observatory/scopes.py) and, for windows counted back from today, the
local day. All of these make its key, so a cached answer is the
answer the computation would give: nothing is served stale, and an import or a purge changes
the key rather than waiting for an expiry.

Each answer also gets an ``ETag`` (a digest of its body) and ``Cache-Control: private, no-cache``:
a browser keeps it, asks again with ``If-None-Match`` and gets an empty 304 while the data have
not changed (``Vary: Authorization``: a shared proxy must not give it to another caller).

The cache is per API process, bounded in bytes (OBS_ANSWER_CACHE_MB, 64 by default; 0 turns it
off), least recently used answers leave first.

Answers are kept by the ``cached`` endpoints, and served from two places: the endpoint itself,
after FastAPI has resolved its dependencies, and ``CachedAnswers``, a middleware in front of
the routing that answers a GET on a cached route when it finds the answer, after the same token
check (one statement and one thread-pool hop), without the dozen dependencies an aggregate
endpoint has: on two cores, that resolution was half of the time a kept answer took. Whatever
the middleware cannot settle (no token, an unknown one, a paused address, a snapshot not loaded
yet, the database down, an answer not kept) goes on to the endpoint, which says why.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import inspect
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import QueryParams
from starlette.types import ASGIApp, Receive, Scope, Send

from api.datadeps import AGGREGATE_ROLES, DataStateDep, DisclosureDep
from api.deps import CallerDep, SettingsDep, known_token
from api.heavy import HeavyQueue
from observatory.changes import Versions, versions
from observatory.errors import Cancelled
from observatory.privacy.policy import KIND_OF_ROLE
from observatory.settings import Settings
from observatory.store.snapshot import Snapshot
from observatory.tokens import KnownToken, hash_token

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
        self.hits = 0  # answers served from the cache
        self.before_routing = 0  # of which by the middleware, before FastAPI's routing
        self.computed = 0  # answers the endpoints computed
        # Answers being computed, by key (touched from the event loop only): the answer, None
        # after an error, LEFT when the computation stopped because its client left.
        self.running: dict[tuple[Any, ...], asyncio.Future[Answer | _Left | None]] = {}

    def get(self, key: tuple[Any, ...]) -> Answer | None:
        with self._lock:
            answer = self._answers.get(key)
            if answer is None:
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


class _Left:
    """What a computation whose client left gives the identical questions waiting for it."""


LEFT = _Left()


@dataclass(frozen=True)
class AnswerKey:
    """What one request's answer depends on, what its client already has, and what a costly
    one needs to wait for its turn: the process's queue, the caller's token, the request."""

    cache: AnswerCache | None
    key: tuple[Any, ...]
    if_none_match: str | None
    heavy: HeavyQueue
    token_id: int
    request: Request


def answer_key(
    path: str,
    query: QueryParams,
    audience: str,
    snapshot: Snapshot,
    reference: int,
    zone: ZoneInfo,
    scope: frozenset[str] | None = None,
) -> tuple[Any, ...]:
    """Everything an answer depends on (see the module's docstring); ``scope`` is the caller's
    communes (None: every commune), so a scoped caller never reads a wider caller's answer."""
    today = datetime.now(zone).date().isoformat()
    query_items = tuple(sorted(query.multi_items()))
    data = (snapshot.stamp, snapshot.version)
    communes = None if scope is None else tuple(sorted(scope))
    return (path, query_items, audience, data, reference, today, communes)


def etag_of(body: bytes) -> str:
    """A digest of the answer itself: the same answer has the same tag in every process, and
    after an import that did not change it, the browser still gets its 304."""
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


async def get_answer_key(
    request: Request,
    caller: CallerDep,
    state: DataStateDep,
    disclosure: DisclosureDep,
    settings: SettingsDep,
) -> AnswerKey:
    key = answer_key(
        request.scope["path"],
        request.query_params,
        disclosure.key,
        state.snapshot,
        state.reference,
        settings.zone,
        caller.communes,
    )
    cache: AnswerCache | None = getattr(request.app.state, "answers", None)
    if_none_match = request.headers.get("if-none-match")
    return AnswerKey(cache, key, if_none_match, request.app.state.heavy, caller.owner, request)


AnswerKeyDep = Annotated[AnswerKey, Depends(get_answer_key)]


def _answer(result: Any) -> Answer | None:
    """What the endpoint returned, as an answer to keep (None: not an answer to keep)."""
    if isinstance(result, Response):
        if result.status_code != 200 or not isinstance(result.body, bytes | memoryview):
            return None
        headers = tuple((k, v) for k, v in result.headers.items() if k in KEPT_HEADERS)
        body = bytes(result.body)
        return Answer(body, headers, etag_of(body))
    body = json_body(result)
    return Answer(body, (("content-type", "application/json"),), etag_of(body))


def json_body(result: Any) -> bytes:
    """The JSON an endpoint's dict or model makes, as FastAPI's JSONResponse writes it: compact,
    UTF-8; a number that is not finite becomes null (as pydantic writes it) rather than an error.
    A model is written with the fields it was given (api/answers/): one an answer leaves out,
    a partner's privacy note say, is not written as null."""
    if isinstance(result, BaseModel):
        result = result.model_dump(mode="json", by_alias=True, exclude_unset=True)
    try:
        text = json.dumps(
            result, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=_plain
        )
    except ValueError:  # NaN or infinity somewhere: written as null
        text = json.dumps(
            _finite(jsonable_encoder(result)), ensure_ascii=False, separators=(",", ":")
        )
    return text.encode()


def _plain(value: Any) -> Any:
    """What json cannot write by itself (dates, models): as FastAPI encodes it."""
    return jsonable_encoder(value)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def cached(
    endpoint: Callable[..., Any] | None = None,
    *,
    heavy: bool | Callable[[dict[str, Any]], bool] = False,
) -> Callable[..., Any]:
    """Serve the endpoint's answer from the cache when the same question was answered.

    The endpoint keeps its parameters (and its OpenAPI description); it runs in the thread pool
    as a plain ``def`` endpoint does, and only when the answer is not in the cache nor being
    computed for another caller. A ``heavy`` one (seconds of CPU: permutations, space-time
    cubes; ``heavy`` may be a test of the endpoint's arguments) takes its turn in the process's
    fair queue of costly work first (api/heavy.py), without holding a thread meanwhile, so that
    a few costly requests cannot starve the map's cheap ones nor one user the others; it may
    read ``api.heavy.client_left`` to stop when its client leaves (``Cancelled``: nothing kept).
    """
    if endpoint is None:
        return functools.partial(cached, heavy=heavy)
    signature = inspect.signature(endpoint, eval_str=True)
    extra = inspect.Parameter("answer_key", inspect.Parameter.KEYWORD_ONLY, annotation=AnswerKeyDep)

    @functools.wraps(endpoint)
    async def answer(*args: Any, answer_key: AnswerKey, **kwargs: Any) -> Any:
        cache, key = answer_key.cache, answer_key.key
        costly = heavy(kwargs) if callable(heavy) else heavy
        compute = functools.partial(_compute, endpoint, answer_key if costly else None)
        if cache is None:
            result = await compute(*args, **kwargs)
            kept = _answer(result)
            return result if kept is None else kept.response(answer_key.if_none_match)
        kept = cache.get(key)
        while kept is None and (running := cache.running.get(key)) is not None:
            # The same question is being answered: wait for that answer rather than compute
            # it again (thirty dashboards opened after the night's import).
            shared = await asyncio.shield(running)
            if isinstance(shared, _Left):  # its client left: ask again, one of us computes
                kept = cache.get(key)
                continue
            kept = shared
            break  # None: the waiters compute their own (an error, say)
        if kept is None:
            future: asyncio.Future[Answer | _Left | None] = (
                asyncio.get_running_loop().create_future()
            )
            cache.running.setdefault(key, future)
            cache.computed += 1
            outcome: Answer | _Left | None = None
            try:
                result = await compute(*args, **kwargs)
                kept = outcome = _answer(result)
                if kept is not None:
                    cache.put(key, kept)
            except Cancelled:
                outcome = LEFT
                raise
            finally:
                if cache.running.get(key) is future:
                    del cache.running[key]
                future.set_result(outcome)
            if kept is None:
                return result
        return kept.response(answer_key.if_none_match)

    answer.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*signature.parameters.values(), extra]
    )
    answer.keeps_answers = True  # type: ignore[attr-defined]
    return answer


async def _compute(
    endpoint: Callable[..., Any], turn: AnswerKey | None, *args: Any, **kwargs: Any
) -> Any:
    """The endpoint in the thread pool; a costly one in its turn, its client watched."""
    if turn is None:
        return await run_in_threadpool(endpoint, *args, **kwargs)
    receive = turn.request.receive
    return await turn.heavy.run(receive, turn.token_id, endpoint, *args, **kwargs)


def cached_paths(routers: Iterable[APIRouter], prefix: str) -> frozenset[str]:
    """The paths of the routes whose answers are kept (none has a path parameter)."""
    return frozenset(
        prefix + route.path
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute) and getattr(route.endpoint, "keeps_answers", False)
    )


class CachedAnswers:
    """Serves a kept answer to a GET on a cached route before FastAPI routes the request."""

    def __init__(self, app: ASGIApp, paths: frozenset[str]) -> None:
        self.app = app
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"] in self.paths:
            request = Request(scope)
            answer = await self._find(request)
            if answer is not None:
                response = answer.response(request.headers.get("if-none-match"))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _find(self, request: Request) -> Answer | None:
        state = request.app.state
        cache: AnswerCache | None = state.answers
        scheme, _, raw = request.headers.get("authorization", "").partition(" ")
        if cache is None or scheme.lower() != "bearer" or not raw:
            return None
        settings: Settings = state.settings
        digest = hash_token(raw.strip(), settings.secret_key)
        try:
            seen, token = await run_in_threadpool(_front_check, state, digest)
        except SQLAlchemyError:  # the endpoint will say what is wrong (a 503)
            return None
        if token is None or token.role not in AGGREGATE_ROLES:
            return None
        audience = KIND_OF_ROLE.get(token.role, "partner")
        if audience == "analyst":  # a narrow answer is audited first: through the routing
            return None
        current = state.store.loaded(seen.data, seen.stamp)
        if current is None:
            return None
        key = answer_key(
            request.scope["path"],
            request.query_params,
            audience,
            current,
            seen.reference,
            settings.zone,
            token.communes,
        )
        answer = cache.get(key)
        if answer is not None:
            cache.before_routing += 1
        return answer


def _front_check(state: Any, digest: str) -> tuple[Versions, KnownToken | None]:
    """The versions (one statement), then the token, as the routes' dependencies read them."""
    with state.sessionmaker.begin() as session:
        seen = versions(session.connection())
        return seen, known_token(session, state.tokens, digest, seen)
