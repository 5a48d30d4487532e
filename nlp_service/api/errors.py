"""Domain errors -> RFC 9457 problem details."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from nlp_service.errors import (
    ArtifactError,
    BadInputError,
    ConflictError,
    FontMissingError,
    ImportFailedError,
    JobNotReadyError,
    ModelNotReadyError,
    NLPServiceError,
    NotFoundError,
    RetrainRefusedError,
    RowError,
)

_STATUS = {BadInputError: 422, RowError: 422, ImportFailedError: 422, NotFoundError: 404,
           ModelNotReadyError: 503, ArtifactError: 503,
           JobNotReadyError: 409, FontMissingError: 503, ConflictError: 409, RetrainRefusedError: 409}


def problem(status: int, title: str, detail: str, **extra: object) -> JSONResponse:
    return JSONResponse({"type": "about:blank", "title": title, "status": status, "detail": detail, **extra},
                        status_code=status, media_type="application/problem+json")


def install(app: FastAPI) -> None:
    @app.exception_handler(NLPServiceError)
    async def _domain(_req: Request, exc: NLPServiceError) -> JSONResponse:
        status = next((s for t, s in _STATUS.items() if isinstance(exc, t)), 400)
        return problem(status, type(exc).__name__, exc.message, code=exc.code)

    @app.exception_handler(HTTPException)
    async def _http(_req: Request, exc: HTTPException) -> JSONResponse:
        resp = problem(exc.status_code, "HTTP error", str(exc.detail))
        for k, v in (exc.headers or {}).items():
            resp.headers[k] = v
        return resp

    @app.exception_handler(RequestValidationError)
    async def _validation(_req: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        return problem(422, "Invalid request", f"{'.'.join(map(str, first['loc']))}: {first['msg']}",
                       errors=errors)
