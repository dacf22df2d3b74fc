"""The server's limits on a ZIP archive (EPUB, DOCX, ODT, PPTX, XLSX), checked before anything is inflated.

Every bound is read from the archive's own directory: the number of entries (counted from
the end record first, so a huge file list is never built) and the sizes the entries declare
unzipped. Python's zipfile never inflates an entry past the size it declares (the entry then
fails its checksum), so the declared total bounds what a reader can inflate, whatever the
compressed data says. The libraries behind DOCX, PPTX and XLSX inflate whole parts in
memory; ``check_archive`` also refuses a large part compressed far better than real XML is.
Readers that inflate parts themselves (EPUB, ODT) do it through ``read_member``, which never
reads past MAX_MEMBER_BYTES of one part.

Refusals name the format (``kind``: "EPUB", "DOCX"...) and say when a limit is the
server's, never damage to the file.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from retrieval.document import ParseError

# Far above real files (a long illustrated novel or a slide deck full of pictures: a few
# hundred entries, tens of MB).
MAX_ENTRIES = 10_000
MAX_UNZIPPED_BYTES = 256 * 1024 * 1024
# Python's zipfile builds an object per directory entry before anyone can count them, so a
# central directory is measured from the end record first: bytes allowed per entry on average.
_DIRECTORY_BYTES_PER_ENTRY = 512
# Real XML deflates 5-20x; a bomb, thousands of times. Only large parts are judged.
_BOMB_RATIO = 100
_BOMB_MIN_BYTES = 16 * 1024 * 1024

MAX_MEMBER_BYTES = 64 * 1024 * 1024  # one part, unzipped: a long chapter is a few MB

# NotImplementedError: a ZIP version or compression method Python's zipfile does not read.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    struct.error,
    NotImplementedError,
)
_MEMBER_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, ValueError)
_ENCRYPTED_FLAG = 0x1  # general purpose bit 0: the member has a ZIP password


class MemberUnreadable(Exception):
    """Why one part of an archive cannot be read, worded to follow "its <part> is …"."""


def open_archive(data: bytes, kind: str) -> zipfile.ZipFile:
    """The archive, once its directory and declared sizes are within the server's limits.
    Raises ParseError naming ``kind`` otherwise; the caller closes the archive."""
    directory = _directory_size(data)
    if directory is not None:
        entries, size = directory
        if entries > MAX_ENTRIES or size > MAX_ENTRIES * _DIRECTORY_BYTES_PER_ENTRY:
            shown = f"{entries:,} files" if entries > MAX_ENTRIES else f"a {size // 2**10:,} KiB file list"
            raise ParseError(f"{kind} holds {shown}, more than the server's limit of {MAX_ENTRIES:,} files")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_ERRORS as error:
        raise ParseError(f"{kind} is damaged: it is not a readable ZIP archive ({error})") from error
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        archive.close()
        raise ParseError(
            f"{kind} holds {len(infos):,} files, more than the server's limit of {MAX_ENTRIES:,} files"
        )
    total = sum(info.file_size for info in infos)
    if total > MAX_UNZIPPED_BYTES:
        archive.close()
        raise ParseError(
            f"{kind} expands to {total // 2**20:,} MiB when unzipped, more than the server's limit of "
            f"{MAX_UNZIPPED_BYTES // 2**20} MiB (possible zip bomb)"
        )
    return archive


def check_archive(data: bytes, kind: str) -> list[str]:
    """The archive's entry names, once ``open_archive``'s limits hold and no large entry is
    compressed suspiciously well: for readers (python-docx, python-pptx, openpyxl) that open
    the bytes themselves and inflate whole parts."""
    with open_archive(data, kind) as archive:
        infos = archive.infolist()
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _BOMB_MIN_BYTES and ratio > _BOMB_RATIO:
            raise ParseError(
                f"{kind} part {info.filename} is compressed suspiciously well (possible zip bomb)"
            )
    return [info.filename for info in infos]


def _directory_size(data: bytes) -> tuple[int, int] | None:
    """(entries, bytes) of the ZIP's central directory as its end record declares them;
    None when there is no end record (zipfile then says what is wrong)."""
    # The end record (22 bytes) is followed by a comment of at most 65,535 bytes.
    position = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 65_535))
    if position < 0 or len(data) < position + 22:
        return None
    entries, size = struct.unpack_from("<HL", data, position + 10)  # total entries, directory bytes
    if entries != 0xFFFF and size != 0xFFFFFFFF:
        return entries, size
    # ZIP64: a locator just before the end record points at the ZIP64 end record.
    locator = position - 20
    if locator < 0 or data[locator : locator + 4] != b"PK\x06\x07":
        return None
    (record,) = struct.unpack_from("<Q", data, locator + 8)
    if record + 56 > len(data) or data[record : record + 4] != b"PK\x06\x06":
        return None
    entries64, size64 = struct.unpack_from("<QQ", data, record + 32)
    return entries64, size64


def read_member(archive: zipfile.ZipFile, name: str, *, limit: int, what: str = "one part") -> bytes:
    """A member's bytes, never reading more than ``limit`` of them (a part that inflates past
    the size it declares fails there). Raises KeyError when it is missing, MemberUnreadable
    when it cannot be read; ``what`` names the unit the limit is for ("one file of the book")."""
    info = archive.getinfo(name)
    if info.flag_bits & _ENCRYPTED_FLAG:
        raise MemberUnreadable("encrypted with a ZIP password")
    shown = f"{limit // 2**20} MiB" if limit >= 2**20 else f"{limit:,} bytes"
    server = f"the server's limit of {shown} for {what}"
    if info.file_size > limit:
        raise MemberUnreadable(f"{info.file_size // 2**20:,} MiB when unzipped, more than {server}")
    try:
        with archive.open(info) as member:
            body = member.read(limit + 1)
    except NotImplementedError as error:
        raise MemberUnreadable(f"compressed with a method the server cannot read ({error})") from error
    except _MEMBER_ERRORS as error:
        raise MemberUnreadable(f"damaged in the archive ({error})") from error
    if len(body) > limit:
        raise MemberUnreadable(f"larger when unzipped than {server}")
    return body
