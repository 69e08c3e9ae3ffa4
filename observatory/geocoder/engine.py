"""addok, configured for French addresses (addok-fr, addok-france) on the project's Redis.

addok keeps one configuration per process (``addok.config.config``), read once by
``config.load()``. We set it here, in code, before that load: the Redis of the settings, the
processors of the State's address API (the BAN's own addok configuration), ``citycode`` as a
filter; no configuration file is read (``/etc/addok/addok.conf`` would otherwise be). Pointing
the process at another Redis later (the tests' server) reconnects addok's two clients.
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

from observatory.geocoder.queries import clean_typed
from observatory.geocoder.server import SOCKET_NAME
from observatory.settings import Settings

# The processors of the BAN's addok (addok-france for numbers, bis/ter and labels, addok-fr
# for phonetics and synonyms): the same search as api-adresse.data.gouv.fr.
ADDOK_SETTINGS: dict[str, Any] = {
    "EXTRA_FIELDS": [{"key": "citycode"}],
    "FILTERS": ["type", "postcode", "citycode"],
    "QUERY_PROCESSORS_PYPATHS": [
        "addok.helpers.text.check_query_length",
        "addok_france.extract_address",
        "addok_france.clean_query",
        "addok_france.remove_leading_zeros",
    ],
    "PROCESSORS_PYPATHS": [
        "addok.helpers.text.tokenize",
        "addok.helpers.text.normalize",
        "addok_france.glue_ordinal",
        "addok_france.fold_ordinal",
        "addok_france.flag_housenumber",
        "addok.helpers.text.synonymize",
        "addok_fr.phonemicize",
    ],
    "SEARCH_RESULT_PROCESSORS_PYPATHS": [
        "addok.helpers.results.match_housenumber",
        "addok_france.make_labels",
        "addok.helpers.results.score_by_importance",
        "addok.helpers.results.score_by_autocomplete_distance",
        # addok's n-gram likeness, computed faster (observatory/geocoder/scoring.py).
        "observatory.geocoder.scoring.score_by_ngram_distance",
        # Ours: the street's own words must be in the query (observatory/geocoder/scoring.py).
        "observatory.geocoder.scoring.score_by_street_words",
        "addok.helpers.results.score_by_geo_distance",
        "addok.helpers.results.adjust_scores",
    ],
    # Whole addresses are geocoded, never typed letter by letter: no edge n-grams to index.
    "INDEX_EDGE_NGRAMS": False,
    "BATCH_WORKERS": 1,
    "ATTRIBUTION": "BAN",
    "LICENCE": "Licence Ouverte 2.0",
}

# addok waits on Redis most of the time (about ten round trips per address), and the socket
# calls release the GIL: a few threads search in parallel in one process.
BATCH_THREADS = 4

_lock = threading.Lock()
_connected: tuple[int, int, str | None] | None = None
_settings: Settings | None = None  # the settings of that connection, for worker processes


def redis_config(settings: Settings) -> dict[str, Any]:
    """addok's REDIS setting: the index in ``redis_db``, the documents in the next one; through
    the server's Unix socket when it has one (observatory/geocoder/server.py)."""
    socket = settings.redis_dir.resolve() / SOCKET_NAME
    return {
        "host": "127.0.0.1",
        "port": settings.redis_port,
        "unix_socket_path": str(socket) if socket.is_socket() else None,
        "indexes": {"db": settings.redis_db},
        "documents": {"db": settings.redis_db + 1},
    }


def connect(settings: Settings) -> None:
    """Configure addok for this process (once) and point it at the settings' Redis."""
    global _connected, _settings
    redis = redis_config(settings)
    target = (settings.redis_port, settings.redis_db, redis["unix_socket_path"])
    with _lock:
        if _connected == target:
            return
        from addok.config import config

        config["REDIS"] = redis
        if not config.loaded:
            config.update({k: _copy(v) for k, v in ADDOK_SETTINGS.items()})
            _load_quietly(config)
        else:
            import addok.db
            import addok.ds
            from addok.helpers import scripts

            addok.db.connect()
            addok.ds.on_load()
            scripts.load_scripts()  # its Lua scripts are bound to the client they were made on
        _connected = target
        _settings = settings


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


def _load_quietly(config: Any) -> None:
    """config.load() with no configuration file and without its prints on standard output."""
    previous = os.environ.get("ADDOK_CONFIG_MODULE")
    os.environ["ADDOK_CONFIG_MODULE"] = os.devnull  # an empty module: nothing from /etc
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            config.load()
    finally:
        if previous is None:
            os.environ.pop("ADDOK_CONFIG_MODULE", None)
        else:
            os.environ["ADDOK_CONFIG_MODULE"] = previous


@dataclass(frozen=True)
class Result:
    """The best candidate for an address: where, how sure, and what it matched."""

    lon: float
    lat: float
    score: float
    label: str
    type: str  # housenumber, street, locality or municipality
    citycode: str | None = None
    postcode: str | None = None
    city: str | None = None
    housenumber: str | None = None
    street: str | None = None
    id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _result(found: Any) -> Result:
    """Our Result from addok's (its GeoJSON feature, as its HTTP API would answer)."""
    feature = found.format()
    props = feature["properties"]
    lon, lat = feature["geometry"]["coordinates"]
    kind = props.get("type") or "street"
    if props.get("housenumber"):
        kind = "housenumber"
    return Result(
        lon=float(lon),
        lat=float(lat),
        score=round(float(props.get("score", 0.0)), 4),
        label=str(props.get("label", "")),
        type=kind,
        citycode=_first(props.get("citycode")),
        postcode=_first(props.get("postcode")),
        city=_first(props.get("city")),
        housenumber=_first(props.get("housenumber")),
        street=_first(found._rawattr("name")),
        id=_first(props.get("id")) or _first(found._id),
    )


def _first(value: Any) -> str | None:
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    return str(value) if value not in (None, "") else None


def search(text: str, citycode: str | None = None, limit: int = 1) -> list[Result]:
    """The best candidates for one address, best first (call connect() first)."""
    from addok.core import search as addok_search

    if not text or not text.strip():
        return []
    text = clean_typed(text)
    filters = {"citycode": citycode} if citycode else {}
    found = addok_search(text, limit=limit, autocomplete=False, **filters)
    return [_result(r) for r in found]


def geocode(settings: Settings, text: str, citycode: str | None = None) -> Result | None:
    """The best candidate for one address in the settings' reference, or None."""
    connect(settings)
    found = search(text, citycode)
    return found[0] if found else None


def geocode_batch(
    queries: Sequence[tuple[str, str | None]], settings: Settings | None = None
) -> list[Result | None]:
    """The best candidate for each (address, INSEE code or None), in order.

    Each distinct (text, commune) is searched once, with the commune as addok's ``citycode``
    filter; texts are compared once trimmed and with spaces collapsed. Large batches are
    searched by worker processes (observatory/geocoder/workers.py), small ones in this process.
    """
    from observatory.geocoder import workers

    if settings is not None:
        connect(settings)
    elif _connected is None:
        from observatory.settings import get_settings

        connect(get_settings())
    keys = [(" ".join(text.split()) if text else "", code or None) for text, code in queries]
    distinct = list(dict.fromkeys(keys))
    found: list[Result | None] | None = None
    if len(distinct) >= workers.POOL_MIN and _settings is not None:
        found = workers.search_in_processes(distinct, _settings)
    if found is None:
        found = _search_here(distinct)
    answers = dict(zip(distinct, found, strict=True))
    return [answers[key] for key in keys]


def _search_here(keys: list[tuple[str, str | None]]) -> list[Result | None]:
    """Search in this process: in a few threads, or one after the other for a handful."""
    if len(keys) < 2 * BATCH_THREADS:
        return [_best(key) for key in keys]
    with ThreadPoolExecutor(BATCH_THREADS, thread_name_prefix="geocode") as pool:
        return list(pool.map(_best, keys, chunksize=64))


def _best(key: tuple[str, str | None]) -> Result | None:
    found = search(*key)
    return found[0] if found else None
