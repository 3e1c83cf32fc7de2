"""Which process owns a running run: the one holding the lock on ``owner.lock`` in the
run's folder. The operating system drops the lock when that process ends, however it ends
(a kill, a crash, a machine that restarts under another host name), so "is the run still
training?" is asked of the lock, not of a process id that may have been reused or a host
name that may have changed. Where file locks are not available, the process id on this host
is the answer, as before."""

from __future__ import annotations

import os
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no advisory locks of this kind
    fcntl = None  # type: ignore[assignment]

LOCK_FILE = "owner.lock"


class Claim:
    """This process's hold on a run; ``release()`` when the run ends."""

    def __init__(self, fd: int | None) -> None:
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            finally:
                os.close(self._fd)
                self._fd = None


def locks_available() -> bool:
    return fcntl is not None


def claim(folder: Path) -> Claim | None:
    """Take the run's lock for this process; None when another process holds it."""
    if fcntl is None:
        return Claim(None)
    fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except OSError:
        os.close(fd)
        raise
    return Claim(fd)


def held(folder: Path) -> bool | None:
    """True while some process (this one included) holds the run's lock, False when none
    does, None when it cannot be told here (no lock file: a run from an older version, or
    no file locks on this system)."""
    path = folder / LOCK_FILE
    if fcntl is None or not path.exists():
        return None
    try:
        fd = os.open(path, os.O_RDONLY)  # enough to lock, and works in a read-only store
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return None
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)
