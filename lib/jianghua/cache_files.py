"""Helpers the on-disk caches share: the hash that keys a text, and atomic file writes."""

import hashlib
import os
import tempfile
from pathlib import Path


def text_hash(text) -> str:
    """Return the cache key of a text (a hash of its UTF-8 bytes)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def atomic_write(path: Path, data: bytes):
    """Write bytes to path so that readers see either the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
