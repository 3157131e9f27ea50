"""Numbers, amounts and dates written for the manual's locale (the plugin's `locale`, `currency` and
`date_format` options), with Babel. An amount nobody recorded is never printed as zero."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

from qms.clock import as_date
from qms.config import Settings


@lru_cache(maxsize=16)
def _locale(name: str) -> Locale:
    try:
        return Locale.parse(name)
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en_GB")


def number(settings: Settings, value: float | int, digits: int = 0) -> str:
    """1,234 (en_GB) or 1.234 (de_DE)."""
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=_locale(settings.locale))


def money(settings: Settings, value: float | int | None, digits: int = 0) -> str | None:
    """£1,234 or 1.234 € in the manual's currency; a plain number without one; None when nothing was recorded."""
    if value is None:
        return None
    if not settings.currency:
        return number(settings, value, digits)
    pattern = None if digits else _no_decimals(settings)
    return format_currency(value, settings.currency, format=pattern, locale=_locale(settings.locale),
                           currency_digits=bool(digits))


def _no_decimals(settings: Settings) -> str:
    """The locale's currency pattern without decimals (¤#,##0 rather than ¤#,##0.00)."""
    pattern = _locale(settings.locale).currency_formats["standard"].pattern
    return pattern.replace(".00", "")


def day(settings: Settings, value: object) -> str:
    """A date as the manual writes dates: YYYY-MM-DD (iso), or the locale's short, medium or long form; "" for
    none (None or ""), and text that is not a date as it is."""
    when = as_date(value) if not isinstance(value, dt.date) else value
    if when is None:
        return "" if value is None else str(value)
    if settings.date_format == "iso":
        return when.isoformat()
    return format_date(when, format=settings.date_format, locale=_locale(settings.locale))
