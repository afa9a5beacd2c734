"""Typed errors: what a user or an orchestrator sees when a step fails.

Every error has a stable ``type`` string, a plain message built only from safe
fields (never from request headers), whether retrying later may help, and a
JSON form for the CLI and the HTTP service.
"""

from __future__ import annotations

from typing import Any

ERROR_TYPES: dict[str, type[ConnectorError]] = {}


class ConnectorError(Exception):
    """Base of every error the engine raises on purpose.

    Each subclass that sets its own ``type`` is registered under it (``ERROR_TYPES``): a type is spelled
    once, here, and everything else (spec checks, classification of upstream answers) looks it up.
    """

    type = "error"
    retryable = False
    statuses: tuple[int, ...] = ()  # upstream HTTP statuses that mean this error when no spec rule says otherwise

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "type" in cls.__dict__:
            # The first class to spell a type owns it: a product's own error that reuses a type for the same
            # meaning (a stored name that is taken is "already_exists" too) never takes the engine's place.
            ERROR_TYPES.setdefault(cls.type, cls)

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.details = {k: v for k, v in details.items() if v is not None}

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""

    @message.setter
    def message(self, value: str) -> None:
        # One text: str(exc), exc.args, repr and tracebacks all show what the message says (scrubbed included).
        self.args = (value, *self.args[1:])

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "message": self.message, "retryable": self.retryable, **self.details}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class SpecError(ConnectorError):
    """A spec or template is wrong: a bug in the connector, not in the user's input."""

    type = "spec"

    def __init__(self, message: str, problems: list[dict[str, str]] | None = None) -> None:
        super().__init__(message, problems=problems)
        self.problems = problems or []


class ValidationError(ConnectorError):
    """The input broke its schema; nothing was sent upstream."""

    type = "validation"

    def __init__(self, errors: list[dict[str, Any]], message: str | None = None) -> None:
        lines = [f"{e['pointer'] or '/'}: {e['message']}" for e in errors]
        super().__init__(message or "Invalid input: " + "; ".join(lines), errors=errors)
        self.errors = errors


class UpstreamError(ConnectorError):
    """The remote API answered with an error; carries its own messages."""

    type = "upstream"

    def __init__(self, message: str, *, status: int | None = None, **details: Any) -> None:
        super().__init__(message, status=status, **details)
        self.status = status


class AuthenticationError(UpstreamError):
    type = "authentication"
    statuses: tuple[int, ...] = (401, 403)


class AccountError(UpstreamError):
    type = "account"


class NotFound(UpstreamError):
    type = "not_found"
    statuses: tuple[int, ...] = (404,)


class UpstreamValidation(UpstreamError):
    type = "upstream_validation"
    statuses: tuple[int, ...] = (400, 409, 422)


class AlreadyExists(UpstreamValidation):
    type = "already_exists"
    statuses: tuple[int, ...] = ()  # only a rule (a duplicate code) says so


class RateLimited(UpstreamError):
    type = "rate_limited"
    retryable = True
    statuses: tuple[int, ...] = (429,)

    def __init__(self, message: str, *, retry_after: float | None = None, **details: Any) -> None:
        super().__init__(message, retry_after=retry_after, **details)
        self.retry_after = retry_after


class ServerError(UpstreamError):
    type = "server_error"
    retryable = True
    statuses: tuple[int, ...] = tuple(range(500, 600))


class Timeout(ConnectorError):
    type = "timeout"
    retryable = True

    def __init__(self, message: str, *, phase: str) -> None:
        super().__init__(message, phase=phase)
        self.phase = phase


class ConnectionFailed(ConnectorError):
    type = "connection"
    retryable = True


class OutcomeUnknown(ConnectorError):
    """An unsafe request may or may not have been carried out: do not blindly repeat it."""

    type = "outcome_unknown"


class PreconditionFailed(ConnectorError):
    """A check the spec makes before its main request failed, so nothing was changed (e.g. carrying on would
    delete records the input did not mention); ``pointer`` names the input field that would allow it."""

    type = "precondition_failed"


class CredentialScopeError(ConnectorError):
    """A request would have carried the credential to another origin."""

    type = "credential_scope"


class RedirectBlocked(ConnectorError):
    type = "redirect_blocked"

    def __init__(self, message: str, *, status: int, target_host: str) -> None:
        super().__init__(message, status=status, target_host=target_host)


class ResponseTooLarge(ConnectorError):
    type = "response_too_large"


class InvalidResponse(UpstreamError):
    """The upstream answered with JSON beyond the limits (too deeply nested, NaN, Infinity)."""

    type = "invalid_response"


class PaginationError(ConnectorError):
    """Paging stopped part way: carries where to resume and what was fetched."""

    type = "pagination"

    def __init__(
        self,
        message: str,
        *,
        cause: ConnectorError,
        resume_cursor: Any,
        items_so_far: list[Any],
        resume_input: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            message,
            cause=cause.to_dict(),
            resume_cursor=resume_cursor,
            items_so_far=len(items_so_far),
            resume_input=resume_input,
        )
        self.cause = cause
        self.resume_cursor = resume_cursor
        self.resume_input = resume_input  # merge into the input to carry on where it stopped
        self.items_so_far = items_so_far
        self.retryable = cause.retryable


class PaginationOverflow(ConnectorError):
    type = "pagination_overflow"


class PaginationLoop(ConnectorError):
    """The upstream repeated itself (the same page again, a cursor that does not move): paging stopped.

    Carries the resume point and how many items were read, as PaginationError does.
    """

    type = "pagination_loop"

    def __init__(
        self,
        message: str,
        *,
        resume_cursor: Any = None,
        resume_input: dict[str, Any] | None = None,
        items_so_far: int | None = None,
    ) -> None:
        super().__init__(message, resume_cursor=resume_cursor, resume_input=resume_input, items_so_far=items_so_far)


class UnknownOperation(ConnectorError):
    type = "unknown_operation"


class AuthenticationMissing(ConnectorError):
    type = "authentication_missing"


ERROR_TYPES[ConnectorError.type] = ConnectorError

# The types an upstream answer can be classified as (connector.yaml's error rules, a spec's failure).
UPSTREAM_TYPES: dict[str, type[ConnectorError]] = {
    name: cls for name, cls in ERROR_TYPES.items() if issubclass(cls, UpstreamError) or cls is Timeout
}


def type_for_status(status: int) -> str:
    """The error type an upstream HTTP status means when no rule of the connector says otherwise."""
    for name, cls in UPSTREAM_TYPES.items():
        if status in cls.statuses:
            return name
    return UpstreamError.type
