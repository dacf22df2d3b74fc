"""A small writer of OLE2 compound files ([MS-CFB], version 3), for tests of the readers of
files no Python package writes (Outlook .msg).

It writes a root storage of streams and of storages holding streams, every stream in regular
512-byte sectors (the header's mini stream cutoff is 0, so no mini stream is needed: readers
take the cutoff from the header), one FAT of at most 109 sectors, and each storage's children
as a chain of right siblings (a valid, unbalanced tree; readers walk it whole).
"""

from __future__ import annotations

import struct

SECTOR = 512
FREE, END, FAT_SECTOR = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
NO_STREAM = 0xFFFFFFFF
Tree = dict[str, "bytes | Tree"]


def compound_file(tree: Tree) -> bytes:
    """An OLE2 file of `tree`: a name maps to a stream's bytes or to a storage's own tree."""
    entries: list[tuple[str, int, bytes]] = [("Root Entry", 5, b"")]  # (name, type, data)
    links: list[list[int]] = [[NO_STREAM, NO_STREAM, NO_STREAM]]  # left, right, child

    def add(subtree: Tree, parent: int) -> None:
        previous = None
        for name, value in subtree.items():
            index = len(entries)
            entries.append((name, 1, b"") if isinstance(value, dict) else (name, 2, value))
            links.append([NO_STREAM, NO_STREAM, NO_STREAM])
            if previous is None:
                links[parent][2] = index
            else:
                links[previous][1] = index
            previous = index
            if isinstance(value, dict):
                add(value, index)

    add(tree, 0)
    sectors: list[bytes] = []
    fat: list[int] = []
    starts: list[int] = []

    def place(data: bytes) -> int:
        if not data:
            return END
        first = len(sectors)
        chunks = [data[i : i + SECTOR].ljust(SECTOR, b"\0") for i in range(0, len(data), SECTOR)]
        sectors.extend(chunks)
        fat.extend([*range(first + 1, first + len(chunks)), END])
        return first

    for _, kind, data in entries:
        starts.append(place(data) if kind == 2 else END)
    directory = b""
    for index, (name, kind, data) in enumerate(entries):
        encoded = name.encode("utf-16-le") + b"\0\0"
        left, right, child = links[index]
        directory += (
            encoded.ljust(64, b"\0")
            + struct.pack("<HBB", len(encoded), kind, 1)
            + struct.pack("<III", left, right, child)
            + bytes(16 + 4 + 8 + 8)
            + struct.pack("<IQ", starts[index], len(data))
        )
    directory_start = place(directory)
    # The FAT sectors come last: how many are needed counts themselves too.
    fat_sectors = 1
    while (len(sectors) + fat_sectors) > fat_sectors * (SECTOR // 4):
        fat_sectors += 1
    if fat_sectors > 109:
        raise ValueError("too large for a FAT without DIFAT sectors")
    first_fat = len(sectors)
    fat.extend([FAT_SECTOR] * fat_sectors)
    fat.extend([FREE] * (fat_sectors * (SECTOR // 4) - len(fat)))
    table = struct.pack(f"<{len(fat)}I", *fat)
    sectors.extend(table[i : i + SECTOR] for i in range(0, len(table), SECTOR))
    difat = [first_fat + i for i in range(fat_sectors)] + [FREE] * (109 - fat_sectors)
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + bytes(16)
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + bytes(6)
        + struct.pack("<IIIIIIIII", 0, fat_sectors, directory_start, 0, 0, END, 0, END, 0)
        + struct.pack("<109I", *difat)
    )
    assert len(header) == SECTOR
    return header + b"".join(sectors)
