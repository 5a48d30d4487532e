"""Domain errors, raised in the core and translated to HTTP or CLI messages only at the edge.

Each carries a stable code so users can search for it.
"""

from __future__ import annotations


class NLPServiceError(Exception):
    """Base class: every error the service raises on purpose."""

    code = "E000"

    def __init__(self, message: str, **context: object) -> None:
        super().__init__(message)
        self.message = message
        self.context = context

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


class BadInputError(NLPServiceError):
    """Input text or file cannot be used as given (empty, binary, wrong encoding)."""

    code = "E001"


class RowError(NLPServiceError):
    """One row of a tabular file is invalid; names the row and the column."""

    code = "E002"

    def __init__(self, row: int, column: str | None, reason: str) -> None:
        where = f"row {row}" + (f", column {column!r}" if column else "")
        super().__init__(f"{where}: {reason}", row=row, column=column, reason=reason)
        self.row, self.column, self.reason = row, column, reason


class ImportFailedError(NLPServiceError):
    """All-or-nothing import refused because some rows were bad."""

    code = "E003"

    def __init__(self, errors: list[RowError]) -> None:
        head = "; ".join(e.message for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"{len(errors)} bad rows, nothing imported: {head}{more}")
        self.errors = errors


class ArtifactError(NLPServiceError):
    """A model artifact is missing, corrupt or built by incompatible versions."""

    code = "E004"


class NotFoundError(NLPServiceError):
    """A requested item does not exist."""

    code = "E005"


class TaxonomyError(NLPServiceError):
    """The taxonomy data in corpora/ is inconsistent."""

    code = "E006"


class ModelNotReadyError(NLPServiceError):
    """A capability needs a model that has not been built yet."""

    code = "E007"


class FontMissingError(NLPServiceError):
    """No installed font can draw Chinese, so charts would show empty boxes (install fonts-noto-cjk)."""

    code = "E008"


class ConflictError(NLPServiceError):
    """The request clashes with what is stored (an id someone else owns, a merge that would loop)."""

    code = "E010"


class RetrainRefusedError(NLPServiceError):
    """A retrained model measured worse than the one in service on the same held-out items; the old one stays."""

    code = "E011"


class JobNotReadyError(NLPServiceError):
    """A background job's result was asked for before the job finished, or the job failed."""

    code = "E009"
