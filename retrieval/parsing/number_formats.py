"""A spreadsheet number as the spreadsheet shows it: the cell's number format, within reason.

A workbook stores 0.125 and shows "12.5%"; stores -337 and shows "(337)" under an accounting
format; stores 1234.5 and shows "$1,234.50". A question is asked, and a quote read, in the
shown form, so cells are read that way. Supported, per Excel's rules: up to four sections
(positive; negative; zero; text), quoted and escaped literals, currency and locale tags
("[$€-407]"), colours, padding ("_)") and fill ("* ") characters, digit placeholders (0 # ?)
with a decimal point, thousands separators, thousands scaling (a trailing ",") and percent.
Anything else (conditions, fractions, scientific notation, letters that are not quoted, digits
split by literals as in "000-00-0000") falls back to the number as General shows it.
Dates and times never get here: openpyxl turns date-formatted cells into datetimes.
"""

from __future__ import annotations

import datetime
import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MAX_DECIMALS = 30
_PLACEHOLDERS = frozenset("0#?")
_POINT_FIRST = frozenset({".0", ".#", ".?"})  # ".00": no integer digits shown
# Characters Excel shows as themselves without quotes.
_PLAIN_LITERALS = frozenset("$-+/():!^&'~{}<>= \u00a0€£¥")


class _Unsupported(Exception):
    """A format this module does not imitate: General is shown instead."""


def format_number(value: int | float, number_format: str | None) -> str:
    """``value`` shown through ``number_format`` (an Excel format code; None is General)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    code = (number_format or "").strip()
    if not math.isfinite(value) or code.lower() in {"", "general", "@"}:
        return general(value)
    try:
        sections = _sections(code)
        if value < 0 and len(sections) > 1:
            return _apply(sections[1], -value)  # the section shows the sign itself
        if value == 0 and len(sections) > 2:
            return _apply(sections[2], 0)
        shown = _apply(sections[0], abs(value))
        return "-" + shown if value < 0 and any(ch.isdigit() and ch != "0" for ch in shown) else shown
    except (_Unsupported, InvalidOperation, ValueError, OverflowError):
        return general(value)


def format_moment(value: datetime.date | datetime.time) -> str:
    """A date or time as sheets and charts show one, whatever the format code: 2023-06-30,
    2023-06-30 14:05 (seconds when there are some), 14:05. Fractions of a second round to the
    nearest second, as Excel shows them: a serial number stores 14:01 as 14:00:59.99."""
    if isinstance(value, datetime.time):
        since_midnight = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
        hours, rest = divmod(round(since_midnight) % 86_400, 3600)
        minutes, seconds = divmod(rest, 60)
        return f"{hours:02d}:{minutes:02d}:{seconds:02d}" if seconds else f"{hours:02d}:{minutes:02d}"
    if isinstance(value, datetime.datetime):
        if value.microsecond:
            value = (value + datetime.timedelta(microseconds=500_000)).replace(microsecond=0)
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds" if value.second else "minutes")
    return value.isoformat()


def general(value: int | float) -> str:
    """The number in full, without float noise: 15 significant digits, as Excel keeps."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        return str(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.15g}"


def _sections(code: str) -> list[str]:
    """The format's sections, split at ";" outside quotes, brackets and escapes."""
    sections: list[str] = []
    current: list[str] = []
    quoted = bracket = escaped = False
    for ch in code:
        if escaped:
            escaped = False
        elif ch == "\\" and not quoted:
            escaped = True
        elif ch == '"' and not bracket:
            quoted = not quoted
        elif ch == "[" and not quoted:
            bracket = True
        elif ch == "]" and not quoted:
            bracket = False
        elif ch == ";" and not quoted and not bracket:
            sections.append("".join(current))
            current = []
            continue
        current.append(ch)
    sections.append("".join(current))
    if len(sections) > 4:
        raise _Unsupported(code)
    return sections


def _apply(section: str, value: float) -> str:
    """``value`` (not negative) through one section of a format."""
    prefix: list[str] = []
    suffix: list[str] = []
    pattern: list[str] = []
    percent = 0
    i = 0
    while i < len(section):
        ch = section[i]
        literal = None
        if ch == '"':
            end = section.find('"', i + 1)
            if end < 0:
                raise _Unsupported(section)
            literal, i = section[i + 1 : end], end + 1
        elif ch == "\\" and i + 1 < len(section):
            literal, i = section[i + 1], i + 2
        elif ch in "_*":
            i += 2  # padding as wide as the next character, or a fill: no text
            continue
        elif ch == "[":
            end = section.find("]", i)
            if end < 0:
                raise _Unsupported(section)
            literal, i = _bracket(section[i + 1 : end]), end + 1
        elif ch in _PLACEHOLDERS or (ch in ",." and pattern) or section[i : i + 2] in _POINT_FIRST:
            if suffix:
                raise _Unsupported(section)  # digits split by literals ("000-00-0000")
            pattern.append(ch)
            i += 1
            continue
        elif ch == "%":
            percent += 1
            literal, i = "%", i + 1
        elif ch == "@":
            i += 1
            continue  # the text placeholder: nothing for a number
        elif ch in _PLAIN_LITERALS or ch == ".":
            literal, i = ch, i + 1
        else:
            raise _Unsupported(section)  # dates, "E+", fractions, unquoted letters
        (suffix if pattern else prefix).append(literal)
    if not pattern:
        return "".join(prefix).strip()
    number = _digits("".join(pattern), value * 100**percent)
    return ("".join(prefix) + number + "".join(suffix)).strip()


def _bracket(content: str) -> str:
    """The text a bracketed part shows: a currency symbol ("[$€-407]" → "€"), else nothing
    (a colour, a locale); a condition or an elapsed-time code is not imitated."""
    if content.startswith("$"):
        return content[1:].split("-", 1)[0]
    if content[:1] in {"<", ">", "="} or content.lower().strip("hms") == "":
        raise _Unsupported(content)
    return ""


def _digits(pattern: str, value: float) -> str:
    """``value`` laid out by a digit pattern such as "#,##0.00" or "0.0,,"."""
    scaled = len(pattern) - len(pattern.rstrip(","))  # each trailing comma divides by 1,000
    integer, _, fraction = pattern.rstrip(",").partition(".")
    if "," in fraction:
        raise _Unsupported(pattern)
    grouped = "," in integer
    min_integer = integer.count("0")
    shown = len(fraction)
    required = len(fraction.rstrip("#?"))  # "0.0#" shows one or two decimals
    if shown > MAX_DECIMALS:
        raise _Unsupported(pattern)
    number = Decimal(repr(float(value))) / Decimal(1000) ** scaled
    rounded = number.quantize(Decimal(1).scaleb(-shown), rounding=ROUND_HALF_UP)
    whole, _, decimals = f"{rounded:f}".partition(".")
    decimals = decimals.ljust(shown, "0")
    while len(decimals) > required and decimals.endswith("0"):
        decimals = decimals[:-1]
    whole = whole.lstrip("0").rjust(min_integer, "0")
    if grouped:
        whole = f"{int(whole or 0):,}" if whole or min_integer else ""
    return whole + ("." + decimals if decimals else "")
