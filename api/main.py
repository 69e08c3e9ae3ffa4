"""The FastAPI application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import errors
from api.routers import (
    categories,
    etat4001,
    health,
    home,
    hotspots,
    imports,
    incidents,
    layers,
    stats,
    tokens,
)
from observatory import __version__
from observatory.db import make_engine, make_sessionmaker
from observatory.settings import Settings, get_settings

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application for these settings; the lifespan owns the database engine."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.sqlalchemy_url)
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        try:
            yield
        finally:
            engine.dispose()

    app = FastAPI(
        title="Observatoire de la tranquillité publique",
        version=__version__,
        description="API de l'observatoire : couches GeoJSON, statistiques, imports.",
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/api/v1/openapi.json",
    )
    app.state.settings = settings
    errors.install(app)
    app.include_router(health.router)
    app.include_router(home.router)
    app.include_router(tokens.router, prefix="/api/v1")
    app.include_router(imports.router, prefix="/api/v1")
    app.include_router(categories.router, prefix="/api/v1")
    app.include_router(etat4001.router, prefix="/api/v1")
    app.include_router(layers.router, prefix="/api/v1")
    app.include_router(incidents.router, prefix="/api/v1")
    app.include_router(stats.router, prefix="/api/v1")
    app.include_router(hotspots.router, prefix="/api/v1")
    home.mount_assets(app)
    return app
