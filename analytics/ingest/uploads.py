"""Uploaded files waiting to be imported: raw student data, so they do not outlive their use.

The Upload page writes each upload to a private directory (one per database, mode 0700) so the
importer can read it by path, and deletes it once it is imported, replaced by another upload or
removed from the page. A file nobody has used for `ABANDONED_AFTER_S` (its browser tab closed) is
swept by the next page run of any session, and everything left in the directory is swept when
the server starts (a crash or kill leaves files behind). Deleting is always safe: a session
that still holds the upload in its browser state writes it again when it next needs it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from pathlib import Path
from typing import Final

ABANDONED_AFTER_S: Final = 3600.0
PREFIX: Final = "upload-"


def upload_dir(db_path: Path | str, root: Path | None = None) -> Path:
    """The private directory for uploads into this database (created, mode 0700)."""
    name = str(db_path) if str(db_path) == ":memory:" else str(Path(db_path).resolve())
    base = root if root is not None else Path(tempfile.gettempdir()) / "internships-uploads"
    directory = base / hashlib.sha256(name.encode()).hexdigest()[:16]
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    directory.chmod(0o700)
    return directory


def save(directory: Path, data: bytes, suffix: str) -> Path:
    """Write an upload to a new private file (mode 0600) in `directory`."""
    with tempfile.NamedTemporaryFile(dir=directory, prefix=PREFIX, suffix=suffix, delete=False) as handle:
        handle.write(data)
    path = Path(handle.name)
    path.chmod(0o600)
    return path


def touch(path: Path) -> None:
    """Mark an upload as in use (a sweep keeps it)."""
    with contextlib.suppress(FileNotFoundError):
        os.utime(path)


def discard(path: Path | str) -> None:
    Path(path).unlink(missing_ok=True)


def sweep(directory: Path, older_than_s: float | None = ABANDONED_AFTER_S) -> list[Path]:
    """Delete the uploads in `directory` unused for `older_than_s` seconds (None: every one).
    Returns what was deleted."""
    cutoff = None if older_than_s is None else time.time() - older_than_s
    removed: list[Path] = []
    for path in directory.glob(f"{PREFIX}*"):
        try:
            if cutoff is None or path.stat().st_mtime < cutoff:
                path.unlink()
                removed.append(path)
        except FileNotFoundError:
            continue  # another session swept it first
    return removed
