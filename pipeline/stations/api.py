"""The station upload API (FastAPI), described at ``/docs`` and ``/openapi.json``.

    POST /api/stations/v1/inspections                        manifest + files → PUT URLs
    POST /api/stations/v1/inspections/{id}/{attempt}/complete check objects, write manifest
    GET  /api/stations/v1/inspections/{id}/{attempt}          state and missing files
    GET  /api/stations/v1/me                                  which station the key is

Every call carries ``Authorization: Bearer ipk_…`` (the station's key). Errors are JSON:
``{"detail": "<readable message>", "code": "<stable code>"}`` plus ``files`` when files are
at fault. It runs as its own app beside the console (``inspectpipe stations serve``), so the
stations' network never reaches the reviewers' pages.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, FastAPI, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

from pipeline.errors import (
    ConfigError,
    Conflict,
    ManifestError,
    ObjectNotFound,
    PipelineError,
    TransientError,
    UnsafePathError,
)
from pipeline.stations.keys import KeyCache, Station
from pipeline.stations.limits import BodyLimit, RateLimiter
from pipeline.stations.models import (
    BeginResponse,
    CompleteResponse,
    ErrorBody,
    InspectionRequest,
    StatusResponse,
    WhoAmI,
)
from pipeline.stations.uploads import Forbidden, IncompleteUpload, StationUploads

if TYPE_CHECKING:
    from pipeline.services import Services

log = logging.getLogger(__name__)
BASE = "/api/stations/v1"
_bearer = HTTPBearer(auto_error=False, description="the station's key, ipk_…")
# Wrong keys from one address: a few tries a minute, then 429 (guessing is hopeless anyway,
# but it keeps the scrypt work an attacker can cause small).
FAILED_AUTH_PER_MINUTE, FAILED_AUTH_BURST = 10.0, 10
_ERRORS: dict[int | str, dict[str, Any]] = {
    s: {"model": ErrorBody} for s in (401, 403, 404, 409, 413, 422, 429, 503)
}
_ID = Annotated[str, Path(pattern=r"^[A-Za-z0-9_\-]{1,64}$")]
_ATTEMPT = Annotated[int, Path(ge=1, le=99)]


@dataclass
class StationApi:
    """What the routes need: the upload service, key checks and the limiters."""

    uploads: StationUploads
    keys: KeyCache
    limiter: RateLimiter
    failed: RateLimiter


def _api(request: Request) -> StationApi:
    api: StationApi = request.app.state.stations
    return api


def current_station(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Station:
    """The station whose key the request carries, within its rate limit."""
    api = _api(request)
    host = "ip:" + (request.client.host if request.client else "?")
    # An address that keeps presenting wrong keys is held back before any hashing work.
    if (wait := api.failed.peek(host)) > 0:
        raise _limited(wait)
    station = api.keys.authenticate(creds.credentials) if creds is not None else None
    if station is None:
        api.failed.take(host)
        raise Refused(401, "unauthorized", "missing, unknown or revoked station key")
    wait = api.limiter.take(station.station_id)
    if wait > 0:
        raise _limited(wait)
    return station


class Refused(Exception):
    """A request refused before it reaches the service (auth, rate limit)."""

    def __init__(
        self, status: int, code: str, detail: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail
        self.headers = headers or {}


def _limited(wait: float) -> Refused:
    seconds = max(1, round(wait))
    return Refused(
        429,
        "rate_limited",
        f"rate limit reached; retry in {seconds} s",
        {"Retry-After": str(seconds)},
    )


AuthStation = Annotated[Station, Depends(current_station)]


def register_routes(app: FastAPI) -> None:
    """Add the station routes to ``app`` (whose ``state.stations`` is a StationApi)."""

    @app.get(f"{BASE}/me", response_model=WhoAmI, responses=_ERRORS, tags=["stations"])
    def whoami(station: AuthStation) -> WhoAmI:
        """The station the key belongs to."""
        return WhoAmI(station_id=station.station_id, name=station.name)

    @app.post(
        f"{BASE}/inspections", response_model=BeginResponse, responses=_ERRORS, tags=["stations"]
    )
    def begin(body: InspectionRequest, station: AuthStation, request: Request) -> BeginResponse:
        """Register (or resume) an inspection upload: presigned PUT URLs for the missing files.

        Send each file with ``PUT <url>`` and exactly the headers given, then call complete.
        Asking again for an unfinished inspection answers URLs only for files not yet stored.
        """
        begun = _api(request).uploads.begin(station.station_id, body.manifest, body.files)
        return BeginResponse.of(begun)

    @app.post(
        f"{BASE}/inspections/{{inspection_id}}/{{attempt}}/complete",
        response_model=CompleteResponse,
        responses=_ERRORS,
        tags=["stations"],
    )
    def complete(
        inspection_id: _ID, attempt: _ATTEMPT, station: AuthStation, request: Request
    ) -> CompleteResponse:
        """Check every declared file (exists, size, sha256, Content-Type); then store the
        manifest and start verification. A completed inspection cannot be overwritten (409)."""
        done = _api(request).uploads.complete(station.station_id, inspection_id, attempt)
        return CompleteResponse.of(done)

    @app.get(
        f"{BASE}/inspections/{{inspection_id}}/{{attempt}}",
        response_model=StatusResponse,
        responses=_ERRORS,
        tags=["stations"],
    )
    def status(
        inspection_id: _ID, attempt: _ATTEMPT, station: AuthStation, request: Request
    ) -> StatusResponse:
        """State of one of this station's uploads and the files still missing."""
        doc = _api(request).uploads.status(station.station_id, inspection_id, attempt)
        return StatusResponse(**doc)


def _error_status(exc: PipelineError) -> tuple[int, str]:
    table: list[tuple[type[PipelineError], int, str]] = [
        (IncompleteUpload, 422, "incomplete"),
        (Forbidden, 403, "forbidden"),
        (Conflict, 409, "conflict"),
        (ObjectNotFound, 404, "not_found"),
        (ManifestError, 422, "invalid_manifest"),
        (UnsafePathError, 422, "invalid_manifest"),
        (TransientError, 503, "unavailable"),
        (ConfigError, 503, "not_configured"),
    ]
    for cls, status, code in table:
        if isinstance(exc, cls):
            return status, code
    return 500, "internal"


def install_handlers(app: FastAPI) -> None:
    """JSON errors with a stable ``code`` for every failure."""

    @app.exception_handler(PipelineError)
    async def pipeline_error(request: Request, exc: PipelineError) -> Response:
        status, code = _error_status(exc)
        body: dict[str, Any] = {"detail": str(exc), "code": code}
        if isinstance(exc, IncompleteUpload):
            body["files"] = exc.problems
        if status >= 500:
            log.warning("station API %s: %s", code, exc)
        return JSONResponse(body, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        message = f"{where}: {first.get('msg', 'invalid')}" if where else "invalid request"
        return JSONResponse({"detail": message, "code": "invalid_request"}, status_code=422)

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        headers = dict(exc.headers)
        if exc.status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        body = {"detail": exc.detail, "code": exc.code}
        return JSONResponse(body, status_code=exc.status, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "error")
        body = {"detail": exc.detail, "code": code}
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


def build_app(api: StationApi, *, max_request_bytes: int) -> Any:
    """The station API as an ASGI app (FastAPI inside a body-size limit)."""
    app = FastAPI(
        title="inspectpipe station upload API",
        version="1",
        description=(
            "Inspection stations upload evidence straight to the object store through presigned "
            "PUT URLs. Authenticate with `Authorization: Bearer <station key>`."
        ),
    )
    app.state.stations = api
    register_routes(app)
    install_handlers(app)
    return BodyLimit(app, max_request_bytes)


def create_station_app(services: Services) -> Any:
    """The station API for these services (needs an S3 store for presigned URLs)."""
    s = services.settings
    if s.store.backend != "minio":
        raise ConfigError(
            "the station API hands out presigned URLs: it needs store.backend = 'minio'"
        )
    bus = services.bus if s.store.events == "upload" else None
    uploads = StationUploads(s, services.database, services.store, bus, services.clock)
    api = StationApi(
        uploads=uploads,
        keys=KeyCache(services.database),
        limiter=RateLimiter(s.console.station_rate_per_minute, s.console.station_burst),
        failed=RateLimiter(FAILED_AUTH_PER_MINUTE, FAILED_AUTH_BURST),
    )
    return build_app(api, max_request_bytes=s.console.max_request_bytes)
