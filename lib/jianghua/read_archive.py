"""Read the speech files inside a .zip archive in memory, as sites and colleagues send them.

Nothing is unpacked to disk. Member names written by Chinese Windows (GBK bytes without the
zip's UTF-8 flag) are decoded as GBK. Each member is read as if it were a file of its own.
"""

import io
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePosixPath

from jianghua.read_text import ReadError

ARCHIVE_SUFFIXES = {".zip"}
UTF8_NAME_FLAG = 0x800  # general purpose bit 11: the member name is UTF-8
ENCRYPTED_FLAG = 0x1
# A member larger than this unpacked is refused: a zip bomb would fill memory.
MAX_MEMBER_BYTES = 200 * 1024 * 1024
SKIP_PARTS = {"__MACOSX"}


@dataclass
class Member:
    """One file inside an archive: its name, and its bytes or why they cannot be read."""

    name: str
    data: bytes = b""
    error: str = ""


def zip_members(data: bytes, skip=lambda name: False) -> list[Member]:
    """Return the files of a zip archive by name, each read or with the reason it is not."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise ReadError(f"corrupt .zip: {err}") from err
    members = []
    for info in infos:
        name = member_name(info)
        parts = PurePosixPath(name).parts
        if info.is_dir() or not parts or SKIP_PARTS & set(parts) or skip(parts[-1]):
            continue
        members.append(_member(archive, info, name))
    return sorted(members, key=lambda m: m.name)


def member_name(info: zipfile.ZipInfo) -> str:
    """Return a member's name, GBK names from Chinese Windows decoded as such."""
    name = info.filename
    if not info.flag_bits & UTF8_NAME_FLAG and not name.isascii():
        # zipfile decoded the raw name bytes as cp437; encoding back gives those bytes again
        try:
            name = name.encode("cp437").decode("gb18030")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return name.replace("\\", "/").lstrip("/")


def _member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> Member:
    """Return one member with its bytes, or with the reason they cannot be read."""
    if info.flag_bits & ENCRYPTED_FLAG:
        return Member(name, error="password-protected: unpack the .zip with its password")
    if info.file_size > MAX_MEMBER_BYTES:
        limit = f"{MAX_MEMBER_BYTES:,} bytes"
        too_big = f"{info.file_size:,} bytes unpacked, more than the {limit} read from a .zip"
        return Member(name, error=too_big + ": unpack it into the corpus folder")
    if PurePosixPath(name).suffix.lower() in ARCHIVE_SUFFIXES:
        return Member(name, error="an archive inside an archive: unpack it into the corpus folder")
    try:
        return Member(name, data=archive.read(info))
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError) as err:
        return Member(name, error=f"cannot be unpacked from the .zip ({err})")
