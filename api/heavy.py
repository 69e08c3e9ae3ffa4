"""The fair queue of costly work (permutations, emerging hot spots, near repeats, CLSPD packs).

One queue per API process, on ``app.state.heavy``. OBS_HEAVY_ANALYSES requests compute at once;
the others wait, without holding a thread, each under its caller's token. When a slot frees, it
goes to the waiting token served least recently (round robin, a token never served first; a
token's own requests in their order of arrival): one user with ten requests queued does not
starve another with one. The map's cheap requests never enter the queue.

Refused at once with a 503 (``Busy``): a request whose token already has
OBS_HEAVY_QUEUE_PER_TOKEN requests waiting, or that finds OBS_HEAVY_QUEUE_SIZE requests waiting;
refused after OBS_HEAVY_WAIT_SECONDS: a request still waiting. Each 503 says in French the
request's place in the queue (« 3ᵉ dans la file d'attente des analyses lourdes ») and has a
``Retry-After`` estimated from that place and the mean duration of the recent costly requests.

The client is watched from the moment the request enters the queue until its work is done (the
ASGI ``http.disconnect`` message): one that leaves while waiting takes its request out of the
queue; one that leaves while its work runs sets the work's ``threading.Event``, which the work
reads in the thread pool through ``client_left`` (a context variable: the thread pool copies
the context) and passes to the analyses as their ``cancelled`` callback; they stop between two
batches with ``observatory.errors.Cancelled``. The slot is freed when the thread has stopped,
never before: the CPU the slots bound is in use until then. Work that finishes although its
client left returns its result as usual (the answer cache keeps it for the next caller).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import NoReturn, ParamSpec, TypeVar

from fastapi.concurrency import run_in_threadpool
from starlette.types import Receive

from observatory.errors import Busy, Cancelled
from observatory.settings import Settings

P = ParamSpec("P")
T = TypeVar("T")

# Assumed duration of one costly request before any has finished (seconds).
FIRST_GUESS_S = 10.0
# Durations the Retry-After estimate averages.
RECENT = 16

KINDS = "permutations, points chauds émergents, répétitions proches, packs CLSPD"

_left: ContextVar[threading.Event | None] = ContextVar("heavy_client_left", default=None)


def client_left() -> bool:
    """Whether the client of the costly work running here has gone (False outside the queue)."""
    event = _left.get()
    return event is not None and event.is_set()


def ordinal(n: int) -> str:
    """« 1ʳᵉ », « 2ᵉ »… (feminine: a request, « une demande »)."""
    return "1ʳᵉ" if n == 1 else f"{n}ᵉ"


def _analyses(n: int) -> str:
    return f"{n} analyse lourde" if n == 1 else f"{n} analyses lourdes"


def _seconds(value: float) -> str:
    return f"{value:g}".replace(".", ",")


@dataclass(eq=False)
class _Waiter:
    token: int
    arrival: int
    turn: asyncio.Future[None] | None = field(default=None, repr=False)  # None: only counted
    granted: bool = False


class ClientWatch:
    """Reads the request's ASGI messages until ``http.disconnect``; then ``left`` is set.

    Only for requests whose body has been read (the queue's are GET requests): the messages
    read here are lost to the endpoint.
    """

    def __init__(self, receive: Receive) -> None:
        self.left = threading.Event()
        self.gone = asyncio.Event()
        self._task = asyncio.create_task(self._watch(receive))

    async def _watch(self, receive: Receive) -> None:
        with contextlib.suppress(Exception):  # a server that cannot tell: never "left"
            while (await receive())["type"] != "http.disconnect":
                pass
            self.left.set()
            self.gone.set()

    def stop(self) -> None:
        self._task.cancel()


class HeavyQueue:
    """Slots for costly work, given out fairly among tokens (see the module's docstring).

    Touched from the event loop only: no lock.
    """

    def __init__(self, slots: int, per_token: int, size: int, wait_seconds: float) -> None:
        self.slots = slots
        self.per_token = per_token
        self.size = size
        self.wait_seconds = wait_seconds
        self.free = slots
        self._queues: dict[int, deque[_Waiter]] = {}  # waiting requests by token
        self._served: dict[int, int] = {}  # each token's last turn
        self._turns = itertools.count()
        self._arrivals = itertools.count()
        self._durations: deque[float] = deque(maxlen=RECENT)
        self.refused = 0  # 503s given
        self.abandoned = 0  # requests whose client left (waiting or computing)

    @classmethod
    def of(cls, settings: Settings) -> HeavyQueue:
        return cls(
            settings.heavy_analyses,
            settings.heavy_queue_per_token,
            settings.heavy_queue_size,
            settings.heavy_wait_seconds,
        )

    @property
    def running(self) -> int:
        return self.slots - self.free

    @property
    def waiting(self) -> int:
        return sum(len(queue) for queue in self._queues.values())

    async def run(
        self,
        receive: Receive,
        token: int,
        work: Callable[P, T],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """``work`` in the thread pool once this token has a slot; ``Busy`` when the queue says
        no, ``Cancelled`` when the client leaves (``client_left`` tells the work)."""
        watch = ClientWatch(receive)
        try:
            await self.acquire(token, watch.gone)
            started = time.monotonic()
            reset = _left.set(watch.left)
            try:
                result = await run_in_threadpool(work, *args, **kwargs)
            except Cancelled:
                if watch.left.is_set():
                    self.abandoned += 1
                raise
            finally:
                _left.reset(reset)
                self.release(token)
            self._durations.append(time.monotonic() - started)
            return result
        finally:
            watch.stop()

    async def run_detached(
        self,
        token: int,
        work: Callable[[], T],
        *,
        placed: Callable[[Callable[[], int]], None] | None = None,
        stop: threading.Event | None = None,
    ) -> T:
        """``work`` in its turn for a job no client waits on (api/jobs.py): ``placed`` receives
        a function giving the job's place while it waits; ``stop`` set tells the running work,
        as a client leaving does (``client_left``)."""
        await self.acquire(token, placed=placed)
        started = time.monotonic()
        reset = _left.set(stop or threading.Event())
        try:
            result = await run_in_threadpool(work)
        finally:
            _left.reset(reset)
            self.release(token)
        self._durations.append(time.monotonic() - started)
        return result

    def check_room(self, token: int) -> None:
        """``Busy`` now if a request of this token would be refused a place in the queue."""
        if self.free and not self._queues:
            return
        self._check_room(token)

    def _check_room(self, token: int) -> None:
        waiting = self._queues.get(token, ())
        if len(waiting) >= self.per_token:
            self._refuse(
                f"Ce jeton a déjà {_analyses(len(waiting))} en attente (au plus "
                f"{self.per_token}) : cette demande serait",
                self._position(_Waiter(token, next(self._arrivals))),
                ", quand les précédentes auront abouti",
            )
        if self.waiting >= self.size:
            self._refuse(
                f"File pleine ({self.size} demandes en attente au plus) : cette demande serait",
                self._position(_Waiter(token, next(self._arrivals))),
            )

    async def acquire(
        self,
        token: int,
        gone: asyncio.Event | None = None,
        placed: Callable[[Callable[[], int]], None] | None = None,
    ) -> None:
        """A slot for this token, at once or after its turn in the queue; ``Busy`` if refused
        or too long, ``Cancelled`` if ``gone`` is set while it waits. ``placed`` receives, when
        the request enters the queue, a function giving its current place there."""
        if self.free and not self._queues:
            self.free -= 1
            self._served[token] = next(self._turns)
            return
        self._check_room(token)
        turn = asyncio.get_running_loop().create_future()
        waiter = _Waiter(token, next(self._arrivals), turn)
        self._queues.setdefault(token, deque()).append(waiter)
        if placed is not None:
            placed(lambda: 0 if waiter.granted else self._position(waiter))
        left = asyncio.ensure_future(gone.wait()) if gone is not None else None
        try:
            await asyncio.wait(
                [turn] if left is None else [turn, left],
                timeout=self.wait_seconds,
                return_when=asyncio.FIRST_COMPLETED,
            )
        except asyncio.CancelledError:
            self._give_up(waiter)
            raise
        finally:
            if left is not None:
                left.cancel()
        if gone is not None and gone.is_set():
            self._give_up(waiter)
            self.abandoned += 1
            raise Cancelled("Analyse lourde abandonnée : le client est parti pendant l'attente.")
        if waiter.granted:
            return
        position = self._position(waiter)
        self._give_up(waiter)
        self._refuse(
            f"Après {_seconds(self.wait_seconds)} s d'attente, cette demande était encore",
            position,
        )

    def release(self, token: int) -> None:
        """The slot this token held goes to the next token in turn, or back to the pool."""
        if not self._queues:
            self.free += 1
            return
        chosen = self._next_token(self._queues, self._served)
        queue = self._queues[chosen]
        waiter = queue.popleft()
        if not queue:
            del self._queues[chosen]
        waiter.granted = True
        self._served[chosen] = next(self._turns)
        if waiter.turn is not None:
            waiter.turn.set_result(None)

    def retry_after(self, position: int) -> int:
        """Seconds until a request at this place would likely have its slot (at least 1)."""
        mean = sum(self._durations) / len(self._durations) if self._durations else FIRST_GUESS_S
        return max(1, math.ceil(position * mean / self.slots))

    def _refuse(self, opening: str, position: int, closing: str = "") -> NoReturn:
        """A 503: « <opening> 3ᵉ dans la file d'attente des analyses lourdes… »."""
        self.refused += 1
        retry = self.retry_after(position)
        raise Busy(
            f"{opening} {ordinal(position)} dans la file d'attente des analyses lourdes ({KINDS})"
            f". Réessayez dans {retry} s environ{closing}.",
            retry_after=retry,
        )

    def _give_up(self, waiter: _Waiter) -> None:
        """Takes the waiter out of the queue; a slot it was given at that moment goes on."""
        if waiter.granted:
            self.release(waiter.token)
            return
        queue = self._queues.get(waiter.token)
        if queue is not None and waiter in queue:
            queue.remove(waiter)
            if not queue:
                del self._queues[waiter.token]

    def _position(self, waiter: _Waiter) -> int:
        """The waiter's place (1: next) in the order the queue would serve the waiting ones,
        counting it in if it is not there."""
        queues = {token: deque(queue) for token, queue in self._queues.items()}
        if waiter not in queues.get(waiter.token, ()):
            queues.setdefault(waiter.token, deque()).append(waiter)
        served = dict(self._served)
        turn = itertools.count(max(served.values(), default=0) + 1)
        for position in itertools.count(1):
            chosen = self._next_token(queues, served)
            if queues[chosen].popleft() is waiter:
                return position
            if not queues[chosen]:
                del queues[chosen]
            served[chosen] = next(turn)
        raise AssertionError("unreachable")

    @staticmethod
    def _next_token(queues: dict[int, deque[_Waiter]], served: dict[int, int]) -> int:
        """The waiting token served least recently; between equals, the earliest arrival."""
        return min(queues, key=lambda token: (served.get(token, -1), queues[token][0].arrival))
