"""Routes for the staff page at ``/`` and its two static files.

The page itself holds no data and needs no key: the browser asks for the API key once, keeps it in
localStorage and sends it in ``X-API-Key`` on every call to the JSON API, which does all the checking.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates

from nlp_service import __version__
from nlp_service.domain.records import CHANNELS, STATUS_NAMES

HERE = Path(__file__).resolve().parent.parent / "web"
STATIC = {"app.css": "text/css; charset=utf-8", "app.js": "text/javascript; charset=utf-8"}
SECURITY_HEADERS = {
    # Only our own files run; the server-escaped highlight HTML can therefore never bring a script with it.
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

templates = Jinja2Templates(directory=str(HERE / "templates"))
router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    context = {"version": __version__, "statuses": STATUS_NAMES, "channels": CHANNELS}
    response = templates.TemplateResponse(request, "index.html", context)
    response.headers.update({**SECURITY_HEADERS, "Cache-Control": "no-cache"})
    return response


@router.get("/static/{name}", name="web_static")
def static(name: str) -> FileResponse:
    if name not in STATIC:  # a fixed list: no paths, no traversal
        raise HTTPException(404, f"no static file {name!r}")
    return FileResponse(HERE / "static" / name, media_type=STATIC[name],
                        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"})
