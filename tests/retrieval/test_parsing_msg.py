"""MSG (Outlook): messages built as Outlook stores one ([MS-OXMSG]: a property a stream, in an
OLE2 file written by `ole_builder`, since no Python package writes one), read as the same
message saved as .eml reads; and the refusals."""

from __future__ import annotations

import datetime
import struct
from email.message import EmailMessage

from retrieval.parsing import parse_document
from tests.retrieval.conftest import refusal
from tests.retrieval.ole_builder import Tree, compound_file
from tests.retrieval.test_parsing_samples import assert_valid


def utf16(text: str) -> bytes:
    return text.encode("utf-16-le") + b"\0\0"


def properties(**fixed: tuple[int, int, int]) -> bytes:
    """The message's property stream: a 32-byte header, then 16-byte fixed-size entries, each
    (property id, type, value)."""
    entries = b"".join(struct.pack("<IIQ", pid << 16 | kind, 6, value) for pid, kind, value in fixed.values())
    return bytes(32) + entries


def filetime(moment: datetime.datetime) -> int:
    return int((moment - datetime.datetime(1601, 1, 1, tzinfo=datetime.UTC)).total_seconds() * 10**7)


SENT = datetime.datetime(2026, 12, 7, 10, 0, tzinfo=datetime.UTC)


def outlook_message(streams: Tree) -> bytes:
    tree: Tree = {
        "__substg1.0_0037001F": utf16("Skerryvore survey"),
        "__substg1.0_0C1A001F": utf16("Alan Stevenson"),
        "__substg1.0_5D01001F": utf16("alan@example.org"),
        "__substg1.0_0E04001F": utf16("Keepers"),
        "__properties_version1.0": properties(sent=(0x0039, 0x0040, filetime(SENT))),
    }
    tree.update(streams)
    return compound_file(tree)


def test_an_outlook_message_reads_as_the_same_message_saved_as_eml() -> None:
    data = outlook_message(
        {
            "__substg1.0_1000001F": utf16("The tower is 48 m tall.\r\n\r\nGranite came from Mull."),
            "__attach_version1.0_#00000000": {"__substg1.0_3707001F": utf16("plans.pdf")},
        }
    )
    doc = parse_document(data, "survey.msg")
    assert_valid(doc)
    mail = EmailMessage()
    mail["From"] = "Alan Stevenson <alan@example.org>"
    mail["To"] = "Keepers"
    mail["Date"] = "Mon, 07 Dec 2026 10:00:00 +0000"
    mail["Subject"] = "Skerryvore survey"
    mail.set_content("The tower is 48 m tall.\n\nGranite came from Mull.\n")
    mail.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="plans.pdf")
    twin = parse_document(mail.as_bytes(), "survey.eml")
    assert (doc.format, doc.title, doc.text, doc.warnings) == ("msg", twin.title, twin.text, twin.warnings)


def test_an_html_body_and_8_bit_properties_in_the_message_code_page() -> None:
    data = compound_file(
        {
            "__substg1.0_0037001E": "Niño report".encode("cp1252") + b"\0",
            "__substg1.0_10130102": b"<h1>Figures</h1><p>Revenue rose 4%.</p>",
            "__properties_version1.0": properties(code_page=(0x3FFD, 0x0003, 1252)),
        }
    )
    doc = parse_document(data, "report.msg")
    assert doc.title == "Niño report"
    assert doc.text == "Subject: Niño report\n\nFigures\n\nRevenue rose 4%."


def test_what_is_no_outlook_message_is_refused() -> None:
    assert refusal(b"From: alan@example.org\nSubject: hi\n\nbody", "hi.msg").startswith(
        "not a readable Outlook message: it is not an OLE2 compound file"
    )
    word = compound_file({"WordDocument": b"\xec\xa5" + bytes(600)})
    assert refusal(word, "letter.msg") == "this is a Word 97-2003 document named .msg: rename it to .doc"
