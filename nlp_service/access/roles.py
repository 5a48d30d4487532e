"""Roles and what each may do. Checked by the API and by exports; the core never trusts the caller."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    submitter = "submitter"  # creates suggestions and reads their own
    staff = "staff"  # searches, routes, corrects, reports
    admin = "admin"  # imports, trains, deletes, manages keys


_RANK = {Role.submitter: 0, Role.staff: 1, Role.admin: 2}


def at_least(role: Role, needed: Role) -> bool:
    return _RANK[role] >= _RANK[needed]


def may_see_personal_data(role: Role) -> bool:
    """Only admins see phone numbers, ID numbers and the like unmasked in lists and exports."""
    return role == Role.admin


class Principal:
    """Who is calling: a name (the API key's name) and a role."""

    __slots__ = ("name", "role")

    def __init__(self, name: str, role: Role) -> None:
        self.name, self.role = name, role

    def __repr__(self) -> str:
        return f"Principal({self.name!r}, {self.role.value})"


SYSTEM = Principal("system", Role.admin)
