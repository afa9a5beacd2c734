"""ActiveCampaign's error bodies (api-map §1.6). There is no single envelope, so each helper
names the shape it builds and handlers pick the one their endpoint is documented with."""

from __future__ import annotations

from typing import Any

from .wire import ApiError


def not_found(entity: str, id_: Any, status: int = 404) -> ApiError:
    """`{"message": "No Result found for Subscriber with id 7"}`; some endpoints answer it with 403."""
    return ApiError(status, {"message": f"No Result found for {entity} with id {id_}"})


def message(status: int, text: str) -> ApiError:
    return ApiError(status, {"message": text})


def error(code: str, title: str, attribute: str | None = None, detail: str = "") -> dict:
    """One JSON:API-ish error object: title, detail, code and source.pointer."""
    item: dict[str, Any] = {"title": title, "detail": detail, "code": code}
    if attribute is not None:
        item["source"] = {"pointer": f"/data/attributes/{attribute}"}
    return item


def unprocessable(*items: dict) -> ApiError:
    return ApiError(422, {"errors": list(items)})


def field_missing(attribute: str, title: str | None = None) -> ApiError:
    return unprocessable(error("field_missing", title or f"The {attribute} field was not provided.", attribute))


def field_invalid(attribute: str, title: str) -> ApiError:
    return unprocessable(error("field_invalid", title, attribute))


def duplicate(attribute: str | None, title: str, detail: str = "") -> ApiError:
    return unprocessable(error("duplicate", title, attribute, detail))


def related_missing(attribute: str, title: str) -> ApiError:
    return unprocessable(error("related_missing", title, attribute))


def status_error(status: int, title: str, detail: str | None = None, attribute: str | None = None) -> ApiError:
    """The variant with a numeric `status` inside each error (contactTags, dealStages/{id}/deals)."""
    item: dict[str, Any] = {"status": status, "title": title}
    if detail is not None:
        item["detail"] = detail
    if attribute is not None:
        item["source"] = {"pointer": f"/data/attributes/{attribute}"}
    return ApiError(status, {"errors": [item]})
