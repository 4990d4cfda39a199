"""The reviewers' console: ``create_app(services)`` builds the FastAPI app.

Pages are server-rendered (Jinja2) with one small script for keyboard shortcuts; the JSON API
under ``/api`` does the same actions for other systems and is described at ``/docs``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from pipeline.console import api, holds, pages
from pipeline.console.context import ConsoleContext, LoginRequired, template_globals
from pipeline.console.session import LoginThrottle, Signer
from pipeline.errors import (
    Conflict,
    ObjectNotFound,
    PipelineError,
    TransientError,
    UsageError,
)
from pipeline.review.enroll import reference_hook
from pipeline.review.service import ReviewDesk

if TYPE_CHECKING:
    from pipeline.services import Services

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
DOC_PATHS = ("/docs", "/redoc", "/docs/oauth2-redirect")
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def context_from_services(services: Services) -> ConsoleContext:
    """Wire the console's context from the shared services (database, store, bus, clock)."""
    s = services.settings
    db = services.database
    desk = ReviewDesk(
        db=db,
        clock=services.clock,
        lease=timedelta(minutes=s.console.lease_minutes),
        tz=ZoneInfo(s.timezone),
        bus=services.bus,
        enroll=services.get("enroll") or reference_hook(services),
    )
    return ConsoleContext(
        desk=desk,
        db=db,
        store=services.store,
        reasons=services.reasons,
        photo_types=services.photo_types,
        signer=Signer(s.console.secret),
        session_ttl=timedelta(minutes=s.console.session_minutes),
        max_image_bytes=s.limits.max_file_bytes,
        throttle=LoginThrottle(),
    )


def create_app(services: Services | ConsoleContext) -> FastAPI:
    """The console app for these services (or a ready context, in tests and benchmarks)."""
    context = services if isinstance(services, ConsoleContext) else context_from_services(services)
    app = FastAPI(
        lifespan=_warm_up(context),
        title="inspectpipe review console",
        version="1",
        description="Central review of flagged inspections. Sign in with POST /api/session.",
    )
    app.state.console = context
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals.update(template_globals(context))
    app.state.templates = templates
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(holds.router)  # legal hold (pipeline.retention.hold)
    _install_handlers(app)
    return app


def _warm_up(context: ConsoleContext) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Start computing the station report when the server starts, so nobody waits for it."""

    def warm() -> None:
        try:
            context.desk.stations()
        except Exception:  # the page computes it on demand instead
            log.warning("console: warming the station report failed", exc_info=True)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        threading.Thread(target=warm, name="station-report-warmup", daemon=True).start()
        yield

    return lifespan


def _status(exc: PipelineError) -> int:
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, ObjectNotFound):
        return 404
    if isinstance(exc, UsageError):
        return 400
    if isinstance(exc, TransientError):
        return 503
    return 400


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse("/login?next=" + quote(target), status_code=303)

    @app.exception_handler(PipelineError)
    async def pipeline_error(request: Request, exc: PipelineError) -> Response:
        status = _status(exc)
        if status == 503:
            log.warning("console: %s", exc)
        if request.url.path.startswith("/api"):
            return JSONResponse({"detail": str(exc)}, status_code=status)
        return pages.render(request, "error.html", status=status, message=str(exc))

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            # FastAPI's /docs page loads Swagger UI from a CDN with an inline script.
            if name == "Content-Security-Policy" and request.url.path in DOC_PATHS:
                continue
            response.headers.setdefault(name, value)
        if request.url.path.startswith(("/api", "/items", "/queue", "/stations")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
