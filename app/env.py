"""Typed readers for settings that come from the environment.

Every setting the product has is read here or in `settings.py` through these
helpers, so a bad value fails at start with a message that names the variable
(paperless-ngx's `__get_int` & co. are the model). Nothing here imports Django
models; `ImproperlyConfigured` is the one exception type they raise.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    return None if value is None else value.strip()


def env_str(name: str, default: str) -> str:
    value = _raw(name)
    return default if value is None or value == "" else value


def env_optional_str(name: str) -> str | None:
    value = _raw(name)
    return value or None


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use true/false, 1/0, yes/no)")


def _env_number(
    name: str,
    default: float,
    parse: type[int] | type[float],
    noun: str,
    minimum: float | None,
    maximum: float | None,
) -> Any:
    value = _raw(name)
    if value is None or value == "":
        result = default
    else:
        try:
            result = parse(value)
        except ValueError:
            raise ImproperlyConfigured(f"{name}={value!r} is not {noun}") from None
    if minimum is not None and result < minimum:
        raise ImproperlyConfigured(f"{name}={result} is below its minimum {minimum}")
    if maximum is not None and result > maximum:
        raise ImproperlyConfigured(f"{name}={result} is above its maximum {maximum}")
    return result


def env_int_ranges(name: str) -> tuple[int, ...] | None:
    """Whole numbers as a list with ranges ("12-23" or "3,5,7-9"); None when unset or empty."""
    value = _raw(name)
    if not value:
        return None
    numbers: list[int] = []
    for part in (p.strip() for p in value.split(",")):
        low, _, high = part.partition("-")
        try:
            first, last = int(low), int(high or low)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}={value!r} is not a list of numbers and ranges like 12-23"
            ) from None
        if first < 0 or last < first:
            raise ImproperlyConfigured(f"{name}={value!r}: {part!r} is not a range of non-negative numbers")
        numbers += range(first, last + 1)
    return tuple(numbers)


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    return int(_env_number(name, default, int, "an integer", minimum, maximum))


def env_float(
    name: str, default: float, *, minimum: float | None = None, maximum: float | None = None
) -> float:
    return float(_env_number(name, default, float, "a number", minimum, maximum))


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env_str(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} must be one of: {', '.join(choices)}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_path(name: str, default: Path) -> Path:
    """A directory setting; created on first use so a fresh machine just works."""
    value = _raw(name)
    path = Path(value).expanduser() if value else default
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ImproperlyConfigured(f"{name}={str(path)!r} cannot be created: {error}") from None
    return path.resolve()


def env_bytes(name: str, default: int) -> int:
    """A size such as `50MB`, `512k` or `1048576`."""
    value = _raw(name)
    if value is None or value == "":
        return default
    units = {"": 1, "B": 1, "K": 1024, "KB": 1024, "M": 1024**2, "MB": 1024**2, "G": 1024**3, "GB": 1024**3}
    number = value.rstrip("BbKkMmGg")
    unit = value[len(number) :].upper()
    try:
        size = int(float(number) * units[unit])
    except (ValueError, KeyError):
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a size (examples: 50MB, 512KB, 1048576)"
        ) from None
    if size <= 0:
        raise ImproperlyConfigured(f"{name}={value!r} must be positive")
    return size
