"""Write result files atomically: a reader sees the old file or the new one, never half.

The file is written to a temporary sibling, flushed to disk (``fsync``) and
renamed into place; the folder is then synced too, where the platform allows,
so the rename survives a power cut. Files get the permissions of any file the
user creates (``0o666`` less the umask), not the private mode of ``mkstemp``.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Create ``path`` by writing a temporary sibling and renaming it into place.

    Args:
        path: Destination file.
        write: Called with the temporary path; must create that file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _reserve_sibling(path)
    try:
        write(tmp)
        fsync_file(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(path.parent)


def write_json_atomic(path: Path, payload: Any) -> None:  # noqa: ANN401
    """Write JSON atomically (pretty-printed, trailing newline)."""
    write_atomic(path, lambda tmp: tmp.write_text(json.dumps(payload, indent=2) + "\n"))


def fsync_file(path: Path) -> None:
    """Flush a written file's data to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (a rename into it) to disk, where folders can be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # e.g. Windows, where a folder is not a file
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems do not sync folders
        pass
    finally:
        os.close(fd)


def _reserve_sibling(path: Path) -> Path:
    """Create an empty, unique hidden sibling of ``path`` with the user's umask applied."""
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}{path.suffix}")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return tmp
