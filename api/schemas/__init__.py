"""The API's answers as pydantic models, one module per router: what /docs shows of each field.

Request bodies stay beside their routes; every field carries a French description
(tests/api/test_openapi_fields.py checks it). A JSON answer is checked against its model by
FastAPI. A GeoJSON layer's model documents the body observatory/geojson.py writes, and a
cached answer's (api/cache.py writes it) the body as the endpoint built it: both are checked
by the schemathesis test (tests/api/test_schemathesis.py).
"""
