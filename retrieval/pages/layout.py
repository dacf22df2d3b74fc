"""What showing a PDF page gives: the page's layout with a passage's boxes, and its image.

Plain data, free of PDFium, so the web process can hold it without loading the renderer.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from typing import Any, Literal

# 1600 px on the longest side: a letter page at about 145 dpi, sharp on a laptop screen,
# about 2.5 Mpixel (7 MB of RGB) at most, however large the page claims to be.
MAX_SIDE = 1600

PdfSource = bytes | str | os.PathLike[str]
Placement = Literal["whole", "start", "end", "none"]


class PageError(Exception):
    """The page cannot be shown; `str(error)` says why, for people."""


@dataclass(frozen=True)
class Box:
    """A rectangle in the rendered image, in pixels from its top-left corner."""

    left: int
    top: int
    width: int
    height: int


@dataclass(frozen=True)
class PageLayout:
    page: int  # 1-based
    page_count: int
    label: str  # the page's printed label from /PageLabels ("iv"), "" when it has none
    width: int  # of the rendered image, in pixels
    height: int
    boxes: tuple[Box, ...]  # where the passage is, in reading order
    # Which part of the passage the boxes cover: all of it, its "start" (it runs onto the
    # next page), its "end" (it began on an earlier page), or "none" (not found; no boxes).
    placement: Placement

    def to_json(self) -> bytes:
        return json.dumps(asdict(self)).encode()

    @classmethod
    def from_json(cls, data: bytes) -> PageLayout:
        fields: dict[str, Any] = json.loads(data)
        return cls(**{**fields, "boxes": tuple(Box(**box) for box in fields["boxes"])})


@dataclass(frozen=True)
class RenderedPage:
    layout: PageLayout
    png: bytes | None  # None when only the layout was asked for
