"""Keep secrets out of reprs, logs and messages.

A secret is wrapped in :class:`Secret` as soon as it is read, so an accidental
``print`` or ``repr`` shows ``***``. The logging filter is the second net: it
replaces a secret's raw, URL-encoded and base64 forms in any log record.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import threading
import urllib.parse
import weakref


class Secret:
    """A string that will not show itself."""

    __slots__ = ("_value", "__weakref__")

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("secret", self._value))

    def __reduce__(self):  # never pickle the value into a cache or a queue by accident
        raise TypeError("Secret values cannot be pickled")


def censored(value: str) -> str:
    """Zapier-style stand-in: length and a short hash, enough to tell two keys apart."""
    digest = hashlib.sha256(value.encode()).hexdigest()[:10]
    return f":censored:{len(value)}:{digest}:"


def secret_forms(value: str) -> list[str]:
    """The forms in which a key could leak: raw, URL-encoded, base64."""
    forms = {value, urllib.parse.quote(value, safe=""), urllib.parse.quote_plus(value),
             base64.b64encode(value.encode()).decode(), base64.urlsafe_b64encode(value.encode()).decode()}
    return sorted((f for f in forms if len(f) >= 4), key=len, reverse=True)


def scrub(text: str, secrets: list[str]) -> str:
    for value in secrets:
        for form in secret_forms(value):
            if form in text:
                text = text.replace(form, censored(value))
    return text


class RedactingFilter(logging.Filter):
    """Replaces every registered secret in log records; installed once on the root logger."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: weakref.WeakSet[Secret] = weakref.WeakSet()
        self._lock = threading.Lock()

    def register(self, secret: Secret) -> None:
        with self._lock:
            self._secrets.add(secret)

    def filter(self, record: logging.LogRecord) -> bool:
        with self._lock:
            values = [s.reveal() for s in self._secrets]
        if values:
            message = record.getMessage()
            cleaned = scrub(message, values)
            if cleaned != message:
                record.msg, record.args = cleaned, None
        return True


_filter = RedactingFilter()
_installed = False


def protect(secret: Secret) -> Secret:
    """Register a secret with the root logger's redacting filter."""
    global _installed
    if not _installed:
        root = logging.getLogger()
        root.addFilter(_filter)
        for handler in root.handlers:
            handler.addFilter(_filter)
        for name in ("httpx", "httpcore"):
            logging.getLogger(name).setLevel(logging.WARNING)
        _installed = True
    _filter.register(secret)
    return secret


def redacting_filter() -> RedactingFilter:
    """The shared filter, for handlers added after start-up."""
    return _filter
