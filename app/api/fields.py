"""Strict input fields: what the schema promises is exactly what is accepted.

DRF's CharField takes a number and makes it a string, and its IntegerField takes "7" and
7.0; the schema says string and integer, so a client that sends otherwise learns it
from a 400 instead of finding out later. Characters that text cannot hold (NUL, which
PostgreSQL refuses, and lone surrogates, which UTF-8 cannot encode) are cleaned out of
free text here, so they can never fail a save or a tokenizer as a 500.
"""

from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator
from rest_framework import serializers

MAX_ID = 2**63 - 1  # bigint: larger ids cannot exist, and would overflow a query

# Text with something besides whitespace, as Python's str.strip() sees whitespace: the
# schema's pattern means the same to JSON Schema (ECMA regex), whose \s lacks \x1c-\x1f and
# \x85 but has \ufeff.
NOT_BLANK = RegexValidator(r"[^\s\x1c-\x1f\x85]|\ufeff", "This field may not be blank.")


def clean_text(text: str) -> str:
    """Text without NUL characters, and with U+FFFD for each lone surrogate."""
    text = text.replace("\x00", "")
    if any("\ud800" <= c <= "\udfff" for c in text):
        text = "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text)
    return text


class StrictCharField(serializers.CharField):
    default_error_messages = {"not_a_string": "Must be a string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(clean_text(data))


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer (query strings are text: their serializers use DRF's own fields)."""

    default_error_messages = {"not_an_integer": "Must be an integer."}

    def to_internal_value(self, data: Any) -> int:
        if not isinstance(data, int) or isinstance(data, bool):
            self.fail("not_an_integer")
        return super().to_internal_value(data)


class StrictFloatField(serializers.FloatField):
    default_error_messages = {"not_a_number": "Must be a number."}

    def to_internal_value(self, data: Any) -> float:
        if not isinstance(data, int | float) or isinstance(data, bool):
            self.fail("not_a_number")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"not_a_boolean": "Must be true or false."}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("not_a_boolean")
        return bool(data)


def id_field(**kwargs: Any) -> StrictIntegerField:
    return StrictIntegerField(min_value=1, max_value=MAX_ID, **kwargs)
