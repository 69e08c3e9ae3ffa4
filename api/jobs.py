"""Jobs of costly work started by a click and fetched later (the CLSPD pack from the page).

A job is an asyncio task of the process that takes its turn in the fair queue (api/heavy.py)
under its owner's token, as a request would, but with no client held waiting: the page asks
for the job's state (waiting and its place, running, ready, failed) and then for its bytes.

Bounded: each token keeps at most ``per_token`` jobs, the process ``total``; a finished job is
kept ``keep_seconds`` after it ended, then forgotten (its bytes with it). A new job makes room by
forgetting its owner's oldest finished job; when every kept job of the token (or of the
process) is still unfinished, the new one is refused with the queue's ``Busy`` (a 503).

Only the owner sees a job: to any other token an existing id is as unknown as a made-up one
(the same 404), so ids cannot be probed. Ids are 128 random bits.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from api.heavy import HeavyQueue
from observatory.errors import Busy, ObservatoryError

log = logging.getLogger(__name__)

State = Literal["en_attente", "en_cours", "pret", "echec"]

FAILED = (
    "La préparation a échoué (erreur inattendue du serveur, consignée dans son journal) : "
    "relancez-la ; si l'échec se répète, prévenez l'administrateur."
)


@dataclass(eq=False)
class Job:
    """One job: its owner, what it makes, where it stands."""

    id: str
    token: int
    filename: str
    media_type: str
    created: float
    state: State = "en_attente"
    finished: float | None = None
    data: bytes | None = field(default=None, repr=False)
    message: str | None = None
    place_of: Callable[[], int] | None = field(default=None, repr=False)
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def done(self) -> bool:
        return self.state in ("pret", "echec")

    def place(self) -> int | None:
        """The job's place in the queue while it waits (1: next), else None."""
        if self.state != "en_attente" or self.place_of is None:
            return None
        place = self.place_of()
        return place or None


class JobBoard:
    """The process's jobs, by id. Touched from the event loop only: no lock."""

    def __init__(self, per_token: int = 3, total: int = 24, keep_seconds: float = 900) -> None:
        self.per_token = per_token
        self.total = total
        self.keep_seconds = keep_seconds
        self._jobs: dict[str, Job] = {}

    def __len__(self) -> int:
        return len(self._jobs)

    def start(
        self,
        heavy: HeavyQueue,
        token: int,
        work: Callable[[], bytes],
        filename: str,
        media_type: str,
    ) -> Job:
        """A new job for this token, started; ``Busy`` when it cannot be kept or queued."""
        self._forget_expired()
        heavy.check_room(token)
        self._make_room(heavy, token)
        job = Job(secrets.token_urlsafe(16), token, filename, media_type, time.monotonic())
        self._jobs[job.id] = job
        job.task = asyncio.create_task(self._run(heavy, job, work))
        return job

    def get(self, job_id: str, token: int) -> Job | None:
        """The job of this id if this token owns it (None otherwise, whoever owns it)."""
        self._forget_expired()
        job = self._jobs.get(job_id)
        return job if job is not None and job.token == token else None

    def remove(self, job: Job) -> None:
        """Forget a job; one still waiting leaves the queue (one running ends unread)."""
        self._jobs.pop(job.id, None)
        if job.state == "en_attente" and job.task is not None:
            job.task.cancel()

    def close(self) -> None:
        """At shutdown: the unfinished jobs cancelled, every job forgotten."""
        for job in self._jobs.values():
            if job.task is not None and not job.task.done():
                job.task.cancel()
        self._jobs.clear()

    def expires_in(self, job: Job) -> float | None:
        """Seconds the finished job is still kept."""
        if job.finished is None:
            return None
        return max(0.0, job.finished + self.keep_seconds - time.monotonic())

    async def _run(self, heavy: HeavyQueue, job: Job, work: Callable[[], bytes]) -> None:
        def placed(place_of: Callable[[], int]) -> None:
            job.place_of = place_of

        def running() -> bytes:
            job.state = "en_cours"
            return work()

        try:
            job.data = await heavy.run_detached(job.token, running, placed=placed)
            job.state = "pret"
        except asyncio.CancelledError:
            job.state, job.message = "echec", "Préparation annulée."
            raise
        except ObservatoryError as exc:  # Busy after too long a wait, the database down…
            job.state, job.message = "echec", str(exc)
        except Exception:
            log.exception("Travail %s en échec", job.filename)
            job.state, job.message = "echec", FAILED
        finally:
            job.finished = time.monotonic()
            job.place_of = None

    def _make_room(self, heavy: HeavyQueue, token: int) -> None:
        mine = [job for job in self._jobs.values() if job.token == token]
        if len(mine) >= self.per_token:
            self._forget_oldest_finished(mine, heavy, f"Vous avez déjà {len(mine)} préparations")
        if len(self._jobs) >= self.total:
            self._forget_oldest_finished(
                mine, heavy, f"Le serveur garde déjà {len(self._jobs)} préparations"
            )

    def _forget_oldest_finished(self, jobs: list[Job], heavy: HeavyQueue, opening: str) -> None:
        finished = [job for job in jobs if job.done]
        if not finished:
            retry = heavy.retry_after(max(1, heavy.waiting))
            raise Busy(
                f"{opening} en cours (au plus {self.per_token} par utilisateur, "
                f"{self.total} en tout) : attendez qu'une se termine, ou supprimez-en une. "
                f"Réessayez dans {retry} s environ.",
                retry_after=retry,
            )
        oldest = min(finished, key=lambda job: job.created)
        del self._jobs[oldest.id]

    def _forget_expired(self) -> None:
        now = time.monotonic()
        for job in list(self._jobs.values()):
            if job.finished is not None and now - job.finished > self.keep_seconds:
                del self._jobs[job.id]
