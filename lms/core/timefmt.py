"""Local time: the one timezone setting (``BABEL_DEFAULT_TIMEZONE``) and the date filters.

Datetimes are stored in UTC (``lms.db.UTCDateTime``); they are turned into the
site's local time only here, for display and for "local midnight" boundaries.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_app_context
from flask_babel import format_date, format_datetime, format_decimal, get_locale

# Vietnamese civil-service style: 27/11/2026 and 14:30 27/11/2026 (CLDR's vi "short"
# has a two-digit year). Other locales use CLDR's medium formats.
DATE_FORMATS = {"vi": "dd/MM/yyyy"}
DATETIME_FORMATS = {"vi": "HH:mm dd/MM/yyyy"}


def local_tz() -> ZoneInfo:
    """The site's timezone: the app's ``BABEL_DEFAULT_TIMEZONE`` (the Config default outside an app)."""
    if has_app_context():
        return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    from config import Config

    return ZoneInfo(Config.BABEL_DEFAULT_TIMEZONE)


def to_local(value: dt.datetime) -> dt.datetime:
    """A UTC datetime (naive ones are taken as UTC) in the site's timezone."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(local_tz())


def local_midnight(day: dt.date) -> dt.datetime:
    """The UTC instant at which ``day`` starts in the site's timezone."""
    return dt.datetime.combine(day, dt.time(), tzinfo=local_tz()).astimezone(dt.UTC)


def local_end_of_day(day: dt.date) -> dt.datetime:
    """The UTC instant of 23:59:59 on ``day`` in the site's timezone."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=local_tz()).astimezone(dt.UTC)


def local_datetime(value: dt.datetime | None, fmt: str | None = None) -> str:
    """The ``local_dt`` filter: a UTC datetime in the site's timezone, in the UI language's format."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return str(format_datetime(value, fmt or DATETIME_FORMATS.get(str(get_locale()), "medium")))


def local_date(value: dt.date | dt.datetime | None, fmt: str | None = None) -> str:
    """The ``local_date`` filter: a date (or a UTC datetime's local day) in the UI language's format."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = to_local(value)
    return str(format_date(value, fmt or DATE_FORMATS.get(str(get_locale()), "medium")))


def number(value: float | int | None) -> str:
    """The ``number`` filter: a number in the UI language's format."""
    if value is None:
        return ""
    return str(format_decimal(value))


# Percent as written in Vietnamese documents: "100,0 %" (no-break space); English "100.0%".
PERCENT_SUFFIX = {"vi": "\u00a0%"}


def percent(value: float | int | None, digits: int = 1) -> str:
    """The ``percent`` filter: a 0–100 value with ``digits`` decimals in the UI language's format."""
    if value is None:
        return ""
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return str(format_decimal(value, format=pattern)) + PERCENT_SUFFIX.get(str(get_locale()), "%")


def init_filters(app: Flask) -> None:
    app.jinja_env.filters["local_dt"] = local_datetime
    app.jinja_env.filters["local_date"] = local_date
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters["percent"] = percent
