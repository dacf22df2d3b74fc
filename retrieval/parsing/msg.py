"""MSG (an Outlook message saved as a file, [MS-OXMSG]), read as `mail.add_message` reads a
message, as an EML is.

An MSG is an OLE2 compound file (`ole.py`). Each property of the message is a stream named by
its tag, "__substg1.0_" then the property id and type in hex: 001F a UTF-16 string, 001E an
8-bit one (in the message's code page, PR_INTERNET_CPID or PR_MESSAGE_CODEPAGE, else
cp1252), 0102 bytes. Read: the subject (0037), the sender's name (0C1A) and address (5D01,
else 0C1F), the displayed To (0E04) and Cc (0E03), the plain body (1000), else the HTML one
(1013, as bytes or a string), and the date, PR_CLIENT_SUBMIT_TIME (else the delivery time),
a FILETIME among the fixed-size properties of "__properties_version1.0". Attachments are
the "__attach_version1.0_#n" storages, named by their long file name (3707), else their file
name (3704), else their display name (3001). The compressed RTF body (1009), used when a
message has neither of the others, is not read.

Refusals: not an OLE2 file (a text or .eml named .msg says so), or an OLE2 file holding no
message (a Word, Excel or PowerPoint file named .msg). Title: the subject. Bound: MAX_BYTES.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime
import email.utils
import struct

from xlrd import compdoc  # type: ignore[import-untyped]

from retrieval.document import ParsedDocument, ParseError
from retrieval.parsing.builder import DocumentBuilder, clean_inline
from retrieval.parsing.mail import add_message
from retrieval.parsing.ole import DAMAGE, OLE2_MAGIC, damage, holds, open_compound

MAX_BYTES = 64 * 2**20  # above the default upload limit (50 MB); attachments make messages large
_UNREADABLE = "not a readable Outlook message"
_PROPERTIES = "__properties_version1.0"
_ATTACHMENT = "__attach_version1.0_#"
_SUBJECT, _SENDER_NAME, _SENDER_SMTP, _SENDER_ADDRESS = 0x0037, 0x0C1A, 0x5D01, 0x0C1F
_TO, _CC, _BODY, _HTML = 0x0E04, 0x0E03, 0x1000, 0x1013
_SUBMITTED, _DELIVERED = 0x0039, 0x0E06  # PT_SYSTIME properties
_INTERNET_CPID, _MESSAGE_CODEPAGE = 0x3FDE, 0x3FFD  # PT_LONG properties
_ATTACHMENT_NAMES = (0x3707, 0x3704, 0x3001)
_TOP_HEADER = 32  # the message's own property stream starts with 32 bytes before its entries
_FILETIME_EPOCH = datetime.datetime(1601, 1, 1, tzinfo=datetime.UTC)
NOT_OLE2 = (
    f"{_UNREADABLE}: it is not an OLE2 compound file, as an Outlook .msg is (a message saved "
    "as text or MIME is an .eml)"
)


def parse_msg(data: bytes) -> ParsedDocument:
    if len(data) > MAX_BYTES:
        raise ParseError(f"MSG is larger than the server's limit of {MAX_BYTES // 2**20} MiB")
    if not data.startswith(OLE2_MAGIC):
        raise ParseError(NOT_OLE2)
    try:
        ole = open_compound(data)
        names = {entry.name for entry in ole.dirlist}
        if not any(name.startswith("__substg1.0_") for name in names) and _PROPERTIES not in names:
            raise ParseError(_other_ole2(ole))
        message = _Message(ole)
        headers = {
            "From": message.sender(),
            "To": message.text(_TO),
            "Cc": message.text(_CC),
            "Date": message.date(),
            "Subject": message.text(_SUBJECT),
        }
        plain = message.text(_BODY)
        html = "" if plain.strip() else message.html()
        attachments = message.attachments()
    except DAMAGE as error:
        raise ParseError(f"{_UNREADABLE} ({damage(error)})") from error
    builder = DocumentBuilder("msg")
    add_message(builder, headers, attachments, plain, html)
    if builder.is_empty:
        raise ParseError("no extractable text: the message has no subject, sender or body")
    return builder.build(title=clean_inline(headers["Subject"]) or None)


def _other_ole2(ole: compdoc.CompDoc) -> str:
    kind = holds(ole)
    named = {
        "doc": "a Word 97-2003 document",
        "xls": "an Excel 97-2003 workbook",
        "ppt": "a PowerPoint 97-2003 presentation",
    }
    if kind in named:
        return f"this is {named[kind]} named .msg: rename it to .{kind}"
    return f"{_UNREADABLE}: the file holds no message properties"


class _Message:
    """The message's properties. Each stream is read at most once: xlrd's reader refuses to
    read a sector twice."""

    def __init__(self, ole: compdoc.CompDoc) -> None:
        self._ole = ole
        self._read: dict[str, bytes | None] = {}
        self._fixed = self._fixed_properties(self._stream(_PROPERTIES) or b"")
        code_page = self._fixed.get(_INTERNET_CPID) or self._fixed.get(_MESSAGE_CODEPAGE)
        self._encoding = "cp1252"
        if code_page:
            encoding = {65001: "utf-8", 1200: "utf-16-le"}.get(code_page, f"cp{code_page}")
            with contextlib.suppress(LookupError):  # a code page Python does not know: cp1252
                self._encoding = codecs.lookup(encoding).name

    def _stream(self, path: str) -> bytes | None:
        if path not in self._read:
            self._read[path] = self._ole.get_named_stream(path)
        return self._read[path]

    def text(self, property_id: int, storage: str = "") -> str:
        """A string property, UTF-16 or 8-bit, "" when the message (or `storage`) has neither."""
        prefix = f"{storage}/__substg1.0_{property_id:04X}" if storage else f"__substg1.0_{property_id:04X}"
        unicode = self._stream(f"{prefix}001F")
        if unicode:
            return unicode.decode("utf-16-le", "replace").split("\0")[0]
        narrow = self._stream(f"{prefix}001E")
        return narrow.decode(self._encoding, "replace").split("\0")[0] if narrow else ""

    def sender(self) -> str:
        name, address = self.text(_SENDER_NAME), self.text(_SENDER_SMTP) or self.text(_SENDER_ADDRESS)
        if name and address and "@" in address and address not in name:
            return f"{name} <{address}>"
        return name or address

    def html(self) -> str:
        raw = self._stream(f"__substg1.0_{_HTML:04X}0102")
        if raw:
            return (
                raw.decode("utf-8", "replace") if _looks_utf8(raw) else raw.decode(self._encoding, "replace")
            )
        return self.text(_HTML)

    def date(self) -> str:
        value = self._fixed.get(_SUBMITTED) or self._fixed.get(_DELIVERED)
        if not value:
            return ""
        try:
            moment = _FILETIME_EPOCH + datetime.timedelta(microseconds=value // 10)
        except OverflowError:
            return ""
        return email.utils.format_datetime(moment)

    def attachments(self) -> list[str]:
        storages = sorted(
            entry.name
            for entry in self._ole.dirlist
            if entry.etype == 1 and entry.name.startswith(_ATTACHMENT)
        )
        names = []
        for storage in storages:
            named = next((name for p in _ATTACHMENT_NAMES if (name := self.text(p, storage))), "")
            names.append(clean_inline(named) or "an unnamed attachment")
        return names

    @staticmethod
    def _fixed_properties(stream: bytes) -> dict[int, int]:
        """The fixed-size properties of the message (16-byte entries after its 32-byte header):
        property id -> its 8-byte value as an unsigned integer (a PT_LONG's in the low half)."""
        values: dict[int, int] = {}
        for at in range(_TOP_HEADER, len(stream) - 15, 16):
            tag, _, value = struct.unpack_from("<IIQ", stream, at)
            kind, property_id = tag & 0xFFFF, tag >> 16
            if kind == 0x0040:  # PT_SYSTIME
                values[property_id] = value
            elif kind == 0x0003:  # PT_LONG
                values[property_id] = value & 0xFFFFFFFF
        return values


def _looks_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
