"""Timestamps the way ActiveCampaign writes them: ISO 8601 in the account's zone (-05:00 here)."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone

ACCOUNT_TZ = timezone(timedelta(hours=-5))


def iso(ts: float | None = None) -> str:
    """'2026-05-28T04:33:44-05:00' for an epoch (now by default)."""
    return datetime.fromtimestamp(time.time() if ts is None else ts, ACCOUNT_TZ).isoformat(timespec="seconds")


def utc_plain(ts: float) -> str:
    """'2026-05-28 09:33:44': the *_utc_timestamp form, no zone."""
    t = time.gmtime(ts)
    return f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d} {t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"


def local_plain(ts: float) -> str:
    """'2026-05-28 04:33:44': created_timestamp / edate form, account zone, no zone suffix."""
    return datetime.fromtimestamp(ts, ACCOUNT_TZ).strftime("%Y-%m-%d %H:%M:%S")


def parse_moment(text: str) -> float | None:
    """Epoch for a date filter value: 'YYYY-MM-DD' (midnight, account zone) or an ISO datetime."""
    text = text.strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=ACCOUNT_TZ).timestamp()
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ACCOUNT_TZ)
    return moment.timestamp()


def normalise_datetime(text: str) -> str | None:
    """A datetime custom-field value converted to the account zone, as ActiveCampaign stores it."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ACCOUNT_TZ)
    return moment.astimezone(ACCOUNT_TZ).isoformat(timespec="seconds")
