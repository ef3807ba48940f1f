"""Running one pipeline step from a Snakemake script: its log, and errors as one clear line."""

from __future__ import annotations

import errno
import logging
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn, TextIO

from dlgenomics import InputError
from dlgenomics.data.download import DownloadError

_IO_ERRORS = {
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
}


def check_log_folders(logs: str | Path = "logs") -> None:
    """Before any job runs: every existing folder under `logs` takes a new file. Snakemake
    itself writes a failed job's log after the step, and there a folder it cannot write to
    ends in its own traceback; this names the folder in one line instead."""
    root = Path(logs)
    if not root.is_dir():
        return
    for folder in [root, *sorted(p for p in root.rglob("*") if p.is_dir())]:
        try:
            # A real file, not os.access: root passes access checks that a read-only file
            # system or an immutable folder still refuse.
            with tempfile.TemporaryFile(dir=folder):
                pass
        except OSError as error:
            why = error.strerror or _IO_ERRORS.get(error.errno or 0, "not writable")
            raise InputError(
                f"{folder}: {why}: each step writes its log under {root}/; make it writable"
            ) from None


def warn_console(message: str) -> None:
    """A result the user may not expect (empty outputs, say): a warning in the step's log and
    one `warning:` line on the terminal, which `run_step` keeps out of the log otherwise."""
    logging.getLogger("dlgenomics").warning(message)
    print(f"warning: {message}", file=sys.__stderr__)


def _fail(message: str, log: TextIO, console: TextIO) -> NoReturn:
    print(message, file=log)
    print(message, file=console)
    raise SystemExit(1) from None


def run_step(step: Callable[[], object], log_path: str | Path) -> None:
    """Run `step` with logging, warnings and progress bars going to `log_path`.

    Bad input (InputError, DownloadError) is reported as `error: <message>` both in the log and
    on the console, and the process exits with status 1; Snakemake then removes the step's
    outputs. Anything else is a bug and keeps its traceback in the log.
    """
    console = sys.stderr
    try:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        log = open(log_path, "w")  # noqa: SIM115 (closed by the `with` below)
    except OSError as error:
        # Nowhere to log to: the console alone says so, in the step's one line.
        why = error.strerror or _IO_ERRORS.get(error.errno or 0, "cannot be written")
        print(f"error: {log_path}: {why}: this step's log cannot be written", file=console)
        raise SystemExit(1) from None
    with log:
        sys.stderr = log  # tqdm and warnings write here
        logging.basicConfig(
            stream=log,
            level=logging.INFO,
            format="%(asctime)s %(levelname)s %(message)s",
            force=True,
        )
        try:
            step()
        except (InputError, DownloadError) as error:
            _fail(f"error: {error}", log, console)
        except OSError as error:
            if error.errno not in _IO_ERRORS:
                raise
            # A full disk, a read-only or forbidden folder: the user's to fix, not a bug.
            where = error.filename or "a file this step writes"
            _fail(f"error: {where}: {error.strerror or _IO_ERRORS[error.errno]}", log, console)
        except Exception:
            logging.exception("unexpected error (a bug: please report it with this log)")
            raise
        finally:
            sys.stderr = console
