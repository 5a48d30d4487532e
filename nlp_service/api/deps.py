"""Request dependencies: the service, and the caller's identity and role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request
from fastapi.concurrency import run_in_threadpool

from nlp_service.access.keys import authenticate
from nlp_service.access.roles import Principal, Role, at_least
from nlp_service.service import Service


def get_service(request: Request) -> Service:
    return request.app.state.service


ServiceDep = Annotated[Service, Depends(get_service)]


async def principal(svc: ServiceDep, x_api_key: Annotated[str | None, Header()] = None,
                    authorization: Annotated[str | None, Header()] = None) -> Principal:
    key = x_api_key or (authorization[7:] if authorization and authorization.lower().startswith("bearer ")
                        else None)
    who = await run_in_threadpool(authenticate, svc.db, key, svc.settings.admin_key)
    if who is None:
        raise HTTPException(401, "missing or invalid API key (send X-API-Key or Authorization: Bearer)",
                            headers={"WWW-Authenticate": "Bearer"})
    return who


def require(role: Role) -> Callable[..., Principal]:
    async def check(who: Annotated[Principal, Depends(principal)]) -> Principal:
        if not at_least(who.role, role):
            raise HTTPException(403, f"this needs the {role.value} role; your key has {who.role.value}")
        return who

    return check


Submitter = Annotated[Principal, Depends(require(Role.submitter))]
Staff = Annotated[Principal, Depends(require(Role.staff))]
Admin = Annotated[Principal, Depends(require(Role.admin))]
