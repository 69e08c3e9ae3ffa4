"""Response classes of the API beyond FastAPI's own."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from observatory.geojson import MEDIA_TYPE


class GeoJSONResponse(JSONResponse):
    """A GeoJSON answer whose body observatory/geojson.py has written (text or bytes).

    A JSONResponse to FastAPI, so that the route's ``response_model`` (a FeatureCollection with
    the layer's properties) is the schema the OpenAPI shows under application/geo+json; the
    body is sent as written, never serialised again.
    """

    media_type = MEDIA_TYPE

    def render(self, content: Any) -> bytes:
        if isinstance(content, bytes):
            return content
        if isinstance(content, str):
            return content.encode("utf-8")
        return super().render(content)
