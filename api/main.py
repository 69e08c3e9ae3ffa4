"""The FastAPI application factory."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import numpy as np
from fastapi import FastAPI

from api import errors, security
from api.cache import AnswerCache, CachedAnswers, cached_paths
from api.heavy import HeavyQueue
from api.jobs import JobBoard
from api.routers import (
    accounts,
    actions,
    audit,
    auth,
    basemap,
    categories,
    change,
    etat4001,
    exports,
    factlist,
    health,
    home,
    hotspots,
    imports,
    incidents,
    layers,
    mappings,
    packjobs,
    places,
    reports,
    stats,
    tiles,
    tokens,
    zones,
)
from observatory import __version__
from observatory.analytics.hotspots import ring_weights
from observatory.db import make_engine, make_sessionmaker
from observatory.privacy.partner import PartnerReleases
from observatory.settings import Settings, get_settings
from observatory.store.incidents import IncidentStore
from observatory.tokens import TokenCache

log = logging.getLogger(__name__)

API = "/api/v1"


def _warm(store: IncidentStore) -> None:
    """Load the in-memory copy and the H3 libraries at start, not on the first map."""
    try:
        ring_weights(np.array([0x8939601A5CBFFFF], dtype=np.int64), 1)
        store.snapshot()
    except Exception as exc:  # the database may be down: the first request will say so
        log.warning("Copie en mémoire non chargée au démarrage : %s", exc)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application for these settings; the lifespan owns the database engine."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.sqlalchemy_url)
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        # The store's own small pool: a request asks it for the snapshot while its session
        # holds a connection of the main pool; sharing that pool, as many concurrent requests
        # as it has connections would each wait for one more, until its timeout (a 500).
        # The store uses one connection at a time (under its lock), two during a reload.
        store_engine = make_engine(settings.sqlalchemy_url, pool_size=2, max_overflow=1)
        app.state.store = IncidentStore(store_engine, settings.timezone)
        app.state.releases = PartnerReleases(store_engine, settings)
        warming = threading.Thread(target=_warm, args=(app.state.store,), daemon=True)
        if settings.warm_start:
            warming.start()
        try:
            yield
        finally:
            app.state.jobs.close()
            if warming.is_alive():  # let its transaction end before the engine goes
                warming.join(timeout=60)
            store_engine.dispose()
            engine.dispose()
            if (answers := app.state.answers) is not None:
                log.info(
                    "Cache des réponses : %d servies du cache, %d calculées",
                    answers.hits,
                    answers.computed,
                )

    app = FastAPI(
        title="Observatoire de la tranquillité publique",
        version=__version__,
        description="API de l'observatoire : couches GeoJSON, statistiques, imports.",
        lifespan=lifespan,
        docs_url=None,  # /docs: Swagger UI from npm (api/routers/home.py)
        redoc_url=None,  # FastAPI's ReDoc page loads from a CDN
        openapi_url="/api/v1/openapi.json",
    )
    app.state.settings = settings
    megabytes = settings.answer_cache_mb
    app.state.answers = AnswerCache(megabytes * 2**20) if megabytes else None
    app.state.tokens = TokenCache()
    app.state.heavy = HeavyQueue.of(settings)
    app.state.jobs = JobBoard()
    errors.install(app)
    app.include_router(health.router)
    app.include_router(home.router)
    modules = (
        tokens,
        auth,
        accounts,
        imports,
        mappings,
        categories,
        etat4001,
        layers,
        incidents,
        exports,
        stats,
        hotspots,
        audit,
        reports,
        packjobs,
        actions,
        tiles,
        zones,
        factlist,
        change,
        places,
        basemap,
    )
    for module in modules:
        app.include_router(module.router, prefix=API, responses=errors.API_ERRORS)
    home.mount_assets(app)
    # Added before the security headers and CORS, so inside them: its answers get them too.
    app.add_middleware(CachedAnswers, paths=cached_paths((m.router for m in modules), API))
    security.install(app, settings, security.body_routes((m.router for m in modules), API))
    return app
