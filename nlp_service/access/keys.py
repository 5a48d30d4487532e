"""API keys: stored as SHA-256 hashes with a role; the plain key is shown once, when it is made."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select

from nlp_service.access.roles import Principal, Role
from nlp_service.errors import BadInputError, NotFoundError
from nlp_service.storage.db import Database
from nlp_service.storage.models import ApiKey
from nlp_service.storage.repository import audit


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(db: Database, name: str, role: Role, actor: str = "system") -> str:
    key = "nlp_" + secrets.token_urlsafe(24)
    with db.session() as s:
        if s.scalar(select(ApiKey).where(ApiKey.name == name)):
            raise BadInputError(f"a key named {name!r} exists; revoke it or choose another name")
        s.add(ApiKey(name=name, key_hash=_hash(key), role=role.value))
        audit(s, actor, "create_key", "api_key", name, role=role.value)
    return key


def revoke_key(db: Database, name: str, actor: str) -> None:
    with db.session() as s:
        row = s.scalar(select(ApiKey).where(ApiKey.name == name))
        if row is None:
            raise NotFoundError(f"no key named {name!r}")
        row.revoked = True
        audit(s, actor, "revoke_key", "api_key", name)


def list_keys(db: Database) -> list[dict[str, object]]:
    with db.session() as s:
        return [{"name": k.name, "role": k.role, "revoked": k.revoked, "created_at": k.created_at.isoformat()}
                for k in s.scalars(select(ApiKey).order_by(ApiKey.id))]


def authenticate(db: Database, key: str | None, bootstrap_admin_key: str | None = None) -> Principal | None:
    """The principal for a key, or None. ``bootstrap_admin_key`` (a setting) lets the first admin in."""
    if not key:
        return None
    # bytes, not str: compare_digest refuses non-ASCII strings, and a key is whatever a client sends
    if bootstrap_admin_key and hmac.compare_digest(key.encode("utf-8"), bootstrap_admin_key.encode("utf-8")):
        return Principal("bootstrap-admin", Role.admin)
    with db.session() as s:
        row = s.scalar(select(ApiKey).where(ApiKey.key_hash == _hash(key), ApiKey.revoked.is_(False)))
        return Principal(row.name, Role(row.role)) if row else None
