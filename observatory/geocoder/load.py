"""Loading BAN files into addok, commune by commune, so that a commune is never there twice.

For each commune the reference keeps (in addok's index database, beside addok's own keys) the
ids of the documents it loaded and a digest of its rows: loading it again first removes those
documents, then indexes the new ones; a commune whose rows did not change is left as it is.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import redis

from observatory.geocoder.ban import CommuneAddresses, commune_documents, read_communes
from observatory.geocoder.engine import connect
from observatory.geocoder.server import GeocoderServerError
from observatory.settings import Settings

COMMUNES_KEY = "obs|communes"
CHUNK = 500


def commune_key(code: str) -> str:
    return f"obs|commune|{code}"


def commune_docs_key(code: str) -> str:
    return f"obs|docs|{code}"


@dataclass
class LoadSummary:
    """What a load did: communes (re)loaded or left as they were, streets, addresses."""

    communes: int = 0
    unchanged: int = 0
    streets: int = 0
    addresses: int = 0


@dataclass(frozen=True)
class CommuneInfo:
    code: str
    name: str
    streets: int
    addresses: int


def index_client(settings: Settings) -> redis.Redis:
    return redis.Redis(host="127.0.0.1", port=settings.redis_port, db=settings.redis_db)


def _reachable(client: redis.Redis, settings: Settings) -> None:
    try:
        client.ping()
    except redis.ConnectionError:
        raise GeocoderServerError(
            f"Le géocodeur ne répond pas (127.0.0.1:{settings.redis_port}). "
            "Démarrez-le : observatory geocoder start"
        ) from None


def _process(documents: Iterable[dict[str, Any]]) -> None:
    """addok's own batch path (store, then index), in this process, by chunks."""
    from addok.batch import process_documents

    chunk: list[str] = []
    for document in documents:
        chunk.append(json.dumps(document))
        if len(chunk) >= CHUNK:
            process_documents(*chunk)
            chunk = []
    if chunk:
        process_documents(*chunk)


def remove_commune(client: redis.Redis, code: str) -> int:
    """Remove a commune's documents from addok and forget it; how many were removed."""
    members = cast(set[bytes], client.smembers(commune_docs_key(code)))
    old = sorted(m.decode() for m in members)
    _process({"_id": doc_id, "_action": "delete"} for doc_id in old)
    pipe = client.pipeline()
    pipe.delete(commune_docs_key(code), commune_key(code))
    pipe.srem(COMMUNES_KEY, code)
    pipe.execute()
    return len(old)


def load_ban(
    settings: Settings,
    paths: Sequence[Path],
    force: bool = False,
    progress: Callable[[str, float, LoadSummary], None] | None = None,
    each_commune: Callable[[CommuneAddresses], None] | None = None,
) -> LoadSummary:
    """Load BAN address files; each commune found replaces that commune's previous version.

    ``force`` reloads communes whose rows did not change. ``progress`` is told the file, the
    share of it read and the counts so far. ``each_commune`` is given every commune read,
    changed or not (observatory/places/ stores its streets).
    """
    client = index_client(settings)
    _reachable(client, settings)
    connect(settings)
    summary = LoadSummary()
    for path in paths:
        path = Path(path)

        def tell(share: float, path: Path = path) -> None:
            if progress:
                progress(path.name, share, summary)

        for commune in read_communes(path, tell):
            if each_commune:
                each_commune(commune)
            known = cast(bytes | None, client.hget(commune_key(commune.code), "digest"))
            if not force and known is not None and known.decode() == commune.digest:
                summary.unchanged += 1
                continue
            documents, addresses = commune_documents(commune)
            # Forget the digest first: a load cut short is redone in full next time.
            client.hdel(commune_key(commune.code), "digest")
            remove_commune(client, commune.code)
            ids = [d["_id"] for d in documents]
            if ids:
                client.sadd(commune_docs_key(commune.code), *ids)
            _process(documents)
            streets = sum(1 for d in documents if d["type"] != "municipality")
            client.hset(
                commune_key(commune.code),
                mapping={
                    "name": commune.name,
                    "streets": streets,
                    "addresses": addresses,
                    "digest": commune.digest,
                },
            )
            client.sadd(COMMUNES_KEY, commune.code)
            summary.communes += 1
            summary.streets += streets
            summary.addresses += addresses
    _snapshot(client)
    return summary


def _snapshot(client: redis.Redis) -> None:
    """Write the snapshot now, so that the reference survives a crash as well as a stop."""
    with contextlib.suppress(redis.ResponseError):  # a snapshot is already being written
        client.bgsave()


def loaded_communes(settings: Settings) -> list[CommuneInfo]:
    """The communes in the reference, by INSEE code."""
    client = index_client(settings)
    _reachable(client, settings)
    infos = []
    for raw in sorted(cast(set[bytes], client.smembers(COMMUNES_KEY))):
        code = raw.decode()
        stored = cast(dict[bytes, bytes], client.hgetall(commune_key(code)))
        meta = {k.decode(): v.decode() for k, v in stored.items()}
        infos.append(
            CommuneInfo(
                code=code,
                name=meta.get("name", ""),
                streets=int(meta.get("streets", 0)),
                addresses=int(meta.get("addresses", 0)),
            )
        )
    return infos


def document_count(settings: Settings) -> int:
    """How many documents addok holds (its documents database)."""
    client = redis.Redis(host="127.0.0.1", port=settings.redis_port, db=settings.redis_db + 1)
    _reachable(client, settings)
    return int(cast(int, client.dbsize()))
