"""Files that hold secrets (generated development keys, local secrets): readable by the
service's own user only, written atomically so processes starting together agree on one."""

from __future__ import annotations

import os
import stat
import uuid
from pathlib import Path


def private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    _tighten(path, 0o700)
    return path


def write_private(path: Path, data: bytes, *, replace: bool = True) -> bool:
    """Write ``data`` with mode 0600. With ``replace=False`` an existing file wins (and
    False is returned), so the first of several starting processes decides."""
    private_dir(path.parent)
    if not replace:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return True
    temporary = path.with_suffix(f".{uuid.uuid4().hex}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    temporary.replace(path)
    return True


def read_private(path: Path) -> bytes:
    """Read a secret file, first taking group and other access away from one an older
    release left open."""
    _tighten(path.parent, 0o700)
    _tighten(path, 0o600)
    return path.read_bytes()


def _tighten(path: Path, mode: int) -> None:
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        os.chmod(path, mode)
