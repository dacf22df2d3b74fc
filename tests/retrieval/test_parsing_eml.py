"""EML: messages built with Python's email package as mail clients send them (plain, HTML only,
both, with attachments, in another charset), read as a person reads them; and the refusals."""

from __future__ import annotations

from email.message import EmailMessage

from retrieval.parsing import parse_document
from tests.retrieval.conftest import refusal
from tests.retrieval.test_parsing_samples import assert_valid


def message(subject: str = "Skerryvore survey") -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "Alan Stevenson <alan@example.org>"
    mail["To"] = "Keepers <keepers@example.org>"
    mail["Date"] = "Mon, 07 Dec 2026 10:00:00 +0000"
    mail["Subject"] = subject
    return mail


def test_headers_then_the_plain_body_and_the_attachments_named() -> None:
    mail = message("Café au lait — 1844 survey")  # an encoded word in the header
    mail.set_content("The tower is 48 m tall.\n\nGranite came from Mull.\n\n> Earlier: is it done?\n")
    mail.add_alternative("<p>The tower is <b>48 m</b> tall.</p>", subtype="html")
    mail.add_attachment(b"%PDF-1.4 ...", maintype="application", subtype="pdf", filename="plans.pdf")
    doc = parse_document(mail.as_bytes(), "survey.eml")
    assert_valid(doc)
    assert (doc.format, doc.title) == ("eml", "Café au lait — 1844 survey")
    assert doc.text.split("\n\n") == [
        "From: Alan Stevenson <alan@example.org>\nTo: Keepers <keepers@example.org>\n"
        "Date: Mon, 07 Dec 2026 10:00:00 +0000\nSubject: Café au lait — 1844 survey\nAttachments: plans.pdf",
        "The tower is 48 m tall.",
        "Granite came from Mull.",
        "> Earlier: is it done?",
    ]
    assert doc.warnings == ("1 attachment(s) not read (plans.pdf): upload them on their own",)


def test_an_html_only_body_reads_as_a_page_and_a_charset_is_decoded() -> None:
    html = message()
    html.set_content(
        "<h1>Keepers</h1><table><tr><th>Year</th><th>Keepers</th></tr><tr><td>1844</td><td>4</td></tr></table>",
        subtype="html",
    )
    doc = parse_document(html.as_bytes(), "keepers.eml")
    assert "Keepers\n\nYear | Keepers\n1844 | 4" in doc.text
    assert doc.tables and doc.sections[-1].heading_path == ("Keepers",)
    latin = message()
    latin.set_content("Niño and Zürich.", charset="iso-8859-1", cte="quoted-printable")
    assert parse_document(latin.as_bytes(), "latin.eml").text.endswith("Niño and Zürich.")


def test_a_message_saved_from_a_mailbox_starts_with_its_from_line() -> None:
    mail = message()
    mail.set_content("See you at Hynish.")
    doc = parse_document(b"From alan@example.org Mon Dec  7 10:00:00 2026\n" + mail.as_bytes(), "m.eml")
    assert doc.text.startswith("From: Alan Stevenson") and doc.text.endswith("See you at Hynish.")


def test_what_is_no_message_is_refused() -> None:
    assert refusal(b"Just some notes\nwithout headers", "notes.eml").startswith("not an email message")
    assert "is a PDF" in refusal(b"%PDF-1.4 a PDF named .eml", "x.eml")
    assert refusal(b"\x00\x01binary", "x.eml").startswith("not an email message")
