"""Running one pipeline step from a Snakemake script: its log, and errors as one clear line."""

from __future__ import annotations

import errno
import logging
import sys
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
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    console = sys.stderr
    with open(log_path, "w") as log:
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
