"""Fetch one dataset file, verified by the sha256 of its final (uncompressed) content.

Places are tried in order: the candidates of each mirror folder (see `mirror_candidates`), then
each source string. A source is an ``http(s)://`` URL, a ``file:///`` URL or a filesystem path
(absolute, or relative to the working directory). A ``#member`` suffix means the thing fetched is
a zip archive holding the file as that member; a name ending in ``.gz`` is gunzipped. ``dest`` is
replaced atomically and only ever holds content whose checksum matched.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import gzip
import hashlib
import http.client
import json
import logging
import os
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from tqdm import tqdm

from dlgenomics.files import write_json

MIRROR_ENV_VAR = "DLGENOMICS_MIRROR"
USER_AGENT = "dlgenomics-download/0.1 (python-urllib)"
_CHUNK = 1 << 20
_MAX_LISTED_MEMBERS = 10

log = logging.getLogger(__name__)


class DownloadError(RuntimeError):
    """No mirror candidate or source gave content with the expected sha256."""


class _PlaceFailed(Exception):
    """One place gave nothing usable; the message says what it gave."""


class _Transient(_PlaceFailed):
    """A network failure that may go away if the request is repeated."""


@dataclass(frozen=True)
class _Place:
    location: str  # URL when remote, filesystem path otherwise
    remote: bool
    member: str | None
    gunzip: bool


def mirror_candidates(mirror: Path, dataset: str, file_name: str) -> list[Path]:
    """Paths under one mirror folder that may hold ``file_name``, in search order."""
    mirror = Path(mirror)
    return [
        mirror / dataset / file_name,
        mirror / dataset / f"{file_name}.gz",
        mirror / file_name,
        mirror / f"{file_name}.gz",
    ]


def resolve_mirrors(
    config_mirror: str | None, environ: Mapping[str, str] = os.environ
) -> list[Path]:
    """Mirror folders to search: the configured one, then ``$DLGENOMICS_MIRROR`` if different."""
    mirrors: list[Path] = []
    for value in (config_mirror, environ.get(MIRROR_ENV_VAR)):
        if value and value.strip():
            path = Path(value.strip()).expanduser()
            if path not in mirrors:
                mirrors.append(path)
    return mirrors


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in chunks so large files need little memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fetch_file(
    dest: Path,
    *,
    sha256: str | None,
    sources: Sequence[str],
    dataset: str,
    mirrors: Sequence[Path] = (),
    retries: int = 3,
    backoff_s: float = 1.0,
    timeout_s: float = 60.0,
) -> str:
    """Put the file with content hash ``sha256`` at ``dest``; return the place that gave it.

    Without a ``sha256`` only local places (the mirrors, plain paths, file:// URLs) are
    accepted, whatever their content: a user's own file needs no checksum to run, and the one
    seen is recorded where the data is used (encode's summary.json). Raises `DownloadError`
    listing every place tried when none gives matching content.
    """
    dest = Path(dest)
    expected = None if sha256 is None else _normalise_sha256(sha256)
    if retries < 1:
        raise ValueError(f"retries must be at least 1, got {retries}")
    if isinstance(sources, str):
        # A bare string would otherwise be tried one character at a time.
        raise TypeError("sources must be a sequence of strings, not a string")
    if dest.is_dir():
        raise IsADirectoryError(f"destination is a folder: {dest}")
    if dest.is_file():
        present = sha256_of(dest)
        if expected in (None, present):
            _write_record(dest, present)
            return "already present"
    dest.parent.mkdir(parents=True, exist_ok=True)

    tried: list[tuple[str, str]] = []
    for label, place in _places(dest.name, dataset, mirrors, sources):
        if isinstance(place, _PlaceFailed):
            tried.append((label, str(place)))
            continue
        if expected is None and place.remote:
            tried.append((label, "a remote source needs the file's sha256 in the config"))
            continue
        temps: list[Path] = []
        try:
            try:
                final, got = _fetch_place(
                    place,
                    dest,
                    temps,
                    label=label,
                    retries=retries,
                    backoff_s=backoff_s,
                    timeout_s=timeout_s,
                )
                if expected is not None and got != expected:
                    raise _PlaceFailed(f"sha256 mismatch: got {got}")
            except _PlaceFailed as exc:
                tried.append((label, str(exc)))
                continue
            except OSError as exc:
                # A broken mirror disk or the like should not hide the places after it.
                tried.append((label, f"{type(exc).__name__}: {exc}"))
                continue
            os.replace(final, dest)
            _write_record(dest, got)
            return label
        finally:
            # Reached on success, failure and KeyboardInterrupt alike: no partial files remain.
            for temp in temps:
                with contextlib.suppress(OSError):
                    temp.unlink(missing_ok=True)

    raise DownloadError(_failure_message(dataset, dest.name, expected or "not given", tried))


def record_path(dest: Path) -> Path:
    """Where the sha256 a file was verified with is kept, beside it: not an output of the
    download rule, so Snakemake never removes it."""
    return dest.parent / f".{dest.name}.sha256"


def _write_record(dest: Path, sha256: str) -> None:
    record = record_path(dest)
    if not record.is_file() or record.read_text().strip() != sha256:
        record.write_text(sha256 + "\n")


def local_origin(
    dest: Path, dataset: str, spec: Mapping[str, Any], mirrors: Sequence[Path]
) -> Path | None:
    """The local file ``dest`` is copied from when the config does not pin its sha256: the
    first place `fetch_file` tries (mirrors, then sources) that holds a file, the zip archive
    for a ``#member``. None for a pinned file (its checksum already says whether it changed),
    or when no local place holds the file."""
    if spec.get("sha256") is not None:
        return None
    for _, path in _local_places(Path(dest), dataset, mirrors, spec["sources"]):
        return path
    return None


def origin_stamp(origin: Path | None) -> str | None:
    """Path, size and modification time of a local origin (None without one): a parameter of
    the download, so that any change of them reruns it, an older file put back (`cp -p`, an
    unzipped release) included, which Snakemake's trigger (input newer than output) misses."""
    if origin is None:
        return None
    return f"{origin}: {origin.stat().st_size} bytes, modified {_modified(origin).isoformat()}"


def _modified(path: Path) -> datetime.datetime:
    """A file's modification time, in UTC."""
    return datetime.datetime.fromtimestamp(path.stat().st_mtime, datetime.UTC)


def _local_places(
    dest: Path, dataset: str, mirrors: Sequence[Path], sources: Sequence[str]
) -> Iterator[tuple[str, Path]]:
    """(label, path) of each local place that holds a file, in the order they are tried;
    never ``dest`` itself (a source naming the copy would make it its own input)."""
    for label, place in _places(dest.name, dataset, mirrors, sources):
        if isinstance(place, _Place) and not place.remote:
            path = Path(place.location)
            if path.is_file() and path.resolve() != dest.resolve():
                yield label, path


def origin_path(dest: Path) -> Path:
    """Where the local origin of an unpinned file is described (path, size, modification
    time, sha256 at the last copy), beside it: not an output, so Snakemake never removes it."""
    return dest.parent / f".{dest.name}.origin.json"


def fetch_dataset_file(
    dest: Path, spec: Mapping[str, Any], *, dataset: str, mirror: str | None
) -> str:
    """The download rule's job: `fetch_file` from the config's mirrors and the file's
    sources; return the place that gave it. A file the config does not pin comes from a
    local place: what it was is recorded beside the copy (`origin_path`), and the log says
    what changed since the last copy, so a rerun an edited source caused names it."""
    dest = Path(dest)
    mirrors = resolve_mirrors(mirror)
    places = dict(_local_places(dest, dataset, mirrors, spec["sources"]))
    place = fetch_file(
        dest, sha256=spec.get("sha256"), sources=spec["sources"], dataset=dataset, mirrors=mirrors
    )
    log.info("%s: from %s", dest, place)
    if spec.get("sha256") is None:
        if place in places:
            _record_origin(dest, places[place])
        log.warning(
            "%s: no sha256 in the config, so the local file was taken as it is: sha256 %s "
            "(recorded in encode's summary.json; add it to the config to pin the file)",
            dest,
            sha256_of(dest),
        )
    return place


def _describe_origin(source: Path, copy: Path) -> dict[str, Any]:
    return {
        "source": str(source),
        "size": source.stat().st_size,
        "modified": _modified(source).isoformat(timespec="seconds"),
        "sha256": sha256_of(copy),
    }


def _record_origin(dest: Path, source: Path) -> None:
    """Log how ``source`` differs from the last copy's, then record it as the new one."""
    record = origin_path(dest)
    now = _describe_origin(source, dest)
    try:
        before = json.loads(record.read_text())
    except (OSError, ValueError):
        before = None
    log.info(
        "%s: copied from %s (%s bytes, modified %s, sha256 %s)",
        dest,
        source,
        now["size"],
        now["modified"],
        now["sha256"],
    )
    if isinstance(before, dict) and before != now:
        changed = "; ".join(
            f"{key} {before.get(key)} -> {value}"
            for key, value in now.items()
            if before.get(key) != value
        )
        consequence = (
            "its content changed, so every step after it runs again"
            if before.get("sha256") != now["sha256"]
            else "its content is the same"
        )
        log.warning(
            "%s: %s changed since the last copy (%s): %s", dest, source, changed, consequence
        )
    write_json(record, now)


def check_verified(expected: dict[Path, tuple[str, str]]) -> None:
    """Stop before anything runs when a file already downloaded and verified has another
    sha256 than the config now gives ({file: (sha256, the config key)}): Snakemake would
    otherwise delete the verified file to fetch it again, and a typo in the checksum would
    lose data the user had. Both checksums are shown in full; nothing is removed."""
    for dest, (sha256, key) in expected.items():
        record = record_path(dest)
        if not (dest.is_file() and record.is_file()):
            continue
        seen = record.read_text().strip()
        if seen != _normalise_sha256(sha256):
            raise DownloadError(
                f"{dest}: verified with sha256 {seen}, but {key} now says {sha256}; nothing was "
                f"removed. Correct the checksum, or delete {dest} to fetch the file again"
            )


def _normalise_sha256(sha256: str) -> str:
    value = sha256.strip().lower()
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise ValueError(f"not a sha256 hex digest: {sha256!r}")
    return value


def _places(
    dest_name: str, dataset: str, mirrors: Sequence[Path], sources: Sequence[str]
) -> Iterator[tuple[str, _Place | _PlaceFailed]]:
    for mirror in mirrors:
        for path in mirror_candidates(Path(mirror), dataset, dest_name):
            gunzip = _needs_gunzip(path.name, dest_name)
            yield f"mirror {path}", _Place(str(path), remote=False, member=None, gunzip=gunzip)
    for source in sources:
        try:
            yield source, _parse_source(source, dest_name)
        except _PlaceFailed as exc:
            yield source, exc


def _parse_source(source: str, dest_name: str) -> _Place:
    location, has_member, member_name = source.partition("#")
    member = member_name if has_member else None
    if has_member and not member_name:
        raise _PlaceFailed("empty zip member name after '#'")
    if not location:
        raise _PlaceFailed("empty source")

    parts = urllib.parse.urlsplit(location)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        remote, path = True, location
        name = PurePosixPath(urllib.parse.unquote(parts.path)).name
    elif scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise _PlaceFailed(f"file URL with a host ({parts.netloc}) is not supported")
        remote, path = False, urllib.request.url2pathname(parts.path)
        name = Path(path).name
    elif "://" in location:
        raise _PlaceFailed(f"unsupported URL scheme {parts.scheme!r}")
    else:
        remote, path = False, location
        name = Path(path).name

    if member is not None:
        name = PurePosixPath(member).name
    return _Place(path, remote=remote, member=member, gunzip=_needs_gunzip(name, dest_name))


def _gz_layers(name: str) -> int:
    layers = 0
    while name.lower().endswith(".gz"):
        name = name[:-3]
        layers += 1
    return layers


def _needs_gunzip(name: str, dest_name: str) -> bool:
    # Compare suffixes so that a dest that is itself a .gz file is not decompressed.
    return _gz_layers(name) > _gz_layers(dest_name)


def _new_temp(dest: Path, temps: list[Path]) -> BinaryIO:
    # The caller closes it; the name is recorded first so cleanup finds it whatever happens.
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115
        dir=dest.parent, prefix=f".{dest.name}.", suffix=".part", delete=False
    )
    temps.append(Path(handle.name))
    return handle  # type: ignore[return-value]


def _fetch_place(
    place: _Place,
    dest: Path,
    temps: list[Path],
    *,
    label: str,
    retries: int,
    backoff_s: float,
    timeout_s: float,
) -> tuple[Path, str]:
    """Write one place's final content to a temp file next to ``dest``; return it and its sha256.

    The digest is taken while writing so that large files are not read twice.
    """
    if place.remote:
        with _new_temp(dest, temps) as raw:
            raw_path = Path(raw.name)
        digest = _download(
            place.location,
            raw_path,
            label=label,
            retries=retries,
            backoff_s=backoff_s,
            timeout_s=timeout_s,
        )
        if place.member is None and not place.gunzip:
            return raw_path, digest
        source = raw_path
    else:
        source = Path(place.location)

    with _new_temp(dest, temps) as out:
        digest = _decode_into(source, out, member=place.member, gunzip=place.gunzip)
    return Path(out.name), digest


def _open_local(path: Path) -> BinaryIO:
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise _PlaceFailed("not found") from None
    except IsADirectoryError:
        raise _PlaceFailed("is a folder, not a file") from None
    except PermissionError:
        raise _PlaceFailed("permission denied") from None


def _decode_into(source: Path, out: BinaryIO, *, member: str | None, gunzip: bool) -> str:
    with contextlib.ExitStack() as stack:
        stream: BinaryIO = stack.enter_context(_open_local(source))
        if member is not None:
            stream = stack.enter_context(_open_member(stack, stream, member))
        if gunzip:
            stream = stack.enter_context(gzip.GzipFile(fileobj=stream, mode="rb"))  # type: ignore[arg-type]
        try:
            digest = _copy_hashing(stream, out)
        except gzip.BadGzipFile:
            raise _PlaceFailed("not a gzip file") from None
        except EOFError:
            raise _PlaceFailed("truncated gzip file") from None
        except zlib.error as exc:
            raise _PlaceFailed(f"corrupt gzip data: {exc}") from None
        except zipfile.BadZipFile as exc:
            raise _PlaceFailed(f"corrupt zip member {member!r}: {exc}") from None
    return digest


def _open_member(stack: contextlib.ExitStack, stream: BinaryIO, member: str) -> BinaryIO:
    try:
        archive = stack.enter_context(zipfile.ZipFile(stream))
    except zipfile.BadZipFile:
        raise _PlaceFailed("not a zip archive") from None
    try:
        info = archive.getinfo(member)
    except KeyError:
        names = [n for n in archive.namelist() if not n.endswith("/")]
        raise _PlaceFailed(
            f"zip member {member!r} not in archive (members: {_list_names(names)})"
        ) from None
    if info.is_dir():
        raise _PlaceFailed(f"zip member {member!r} is a folder")
    try:
        return archive.open(info)  # type: ignore[return-value]
    except RuntimeError as exc:  # raised for encrypted members
        raise _PlaceFailed(f"cannot read zip member {member!r}: {exc}") from None
    except NotImplementedError as exc:
        raise _PlaceFailed(f"cannot read zip member {member!r}: {exc}") from None


def _list_names(names: list[str]) -> str:
    if not names:
        return "none"
    shown = ", ".join(names[:_MAX_LISTED_MEMBERS])
    extra = len(names) - _MAX_LISTED_MEMBERS
    return f"{shown}, … (+{extra} more)" if extra > 0 else shown


def _copy_hashing(src: BinaryIO, dst: BinaryIO) -> str:
    digest = hashlib.sha256()
    while chunk := src.read(_CHUNK):
        dst.write(chunk)
        digest.update(chunk)
    return digest.hexdigest()


def _download(
    url: str, dst: Path, *, label: str, retries: int, backoff_s: float, timeout_s: float
) -> str:
    """Download ``url`` into ``dst`` (retrying transient failures); return its sha256."""
    last = ""
    for attempt in range(retries):
        try:
            return _download_once(url, dst, label=label, timeout_s=timeout_s)
        except _Transient as exc:
            last = str(exc)
        if attempt + 1 < retries:
            time.sleep(backoff_s * 2**attempt)
    raise _PlaceFailed(f"{last} after {retries} attempts" if retries > 1 else last)


def _download_once(url: str, dst: Path, *, label: str, timeout_s: float) -> str:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response, open(dst, "wb") as out:
            total = _content_length(response)
            digest = hashlib.sha256()
            received = 0
            with tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc=label,
                file=sys.stderr,
                leave=False,
                disable=total is None,
            ) as bar:
                while chunk := response.read(_CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
            if total is not None and received < total:
                raise http.client.IncompleteRead(b"", total - received)
            return digest.hexdigest()
    except urllib.error.HTTPError as exc:
        exc.close()
        message = f"HTTP {exc.code} {exc.reason}"
        if exc.code == 429 or exc.code >= 500:
            raise _Transient(message) from None
        raise _PlaceFailed(message) from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise _Transient("timed out") from None
        raise _Transient(f"network error: {exc.reason}") from None
    except TimeoutError:
        raise _Transient("timed out") from None
    except ConnectionError as exc:
        raise _Transient(f"connection error: {exc}") from None
    except http.client.IncompleteRead:
        raise _Transient("connection closed before the whole file arrived") from None
    except http.client.HTTPException as exc:
        raise _PlaceFailed(f"HTTP protocol error: {type(exc).__name__}: {exc}") from None
    except ValueError as exc:  # e.g. http.client.InvalidURL
        raise _PlaceFailed(f"invalid URL: {exc}") from None


def _content_length(response: http.client.HTTPResponse) -> int | None:
    value = response.headers.get("Content-Length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _failure_message(
    dataset: str, file_name: str, sha256: str, tried: Sequence[tuple[str, str]]
) -> str:
    # The first line alone says what went wrong (a log's error line); every place follows.
    failures = [f"{label}: {what}" for label, what in tried if what != "not found"]
    absent = len(tried) - len(failures)
    if absent:
        failures.append(
            f"not found in {'any of the' if absent == len(tried) else 'the other'} "
            f"{absent} place{'' if absent == 1 else 's'}"
        )
    lines = [
        f"could not fetch {dataset}/{file_name} (sha256 {sha256[:12]}…): " + "; ".join(failures)
    ]
    lines += [f"  - {label}: {what}" for label, what in tried]
    if not tried:
        lines.append("  (no mirrors or sources were given)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the process exit status."""
    parser = argparse.ArgumentParser(
        description="Fetch one dataset file, verified by the sha256 of its final content."
    )
    parser.add_argument("--dest", required=True, type=Path, help="where to put the file")
    parser.add_argument("--sha256", required=True, help="sha256 of the final content")
    parser.add_argument("--dataset", required=True, help="dataset name (mirror subfolder)")
    parser.add_argument(
        "--source",
        action="append",
        default=[],
        help="URL or path, optionally with #zip-member; repeatable, tried in order",
    )
    parser.add_argument(
        "--mirror",
        action="append",
        default=[],
        help=f"mirror folder searched before sources; repeatable (also ${MIRROR_ENV_VAR})",
    )
    parser.add_argument("--retries", type=int, default=3, help="attempts per network source")
    parser.add_argument("--timeout", type=float, default=60.0, help="network timeout, seconds")
    args = parser.parse_args(argv)

    try:
        _normalise_sha256(args.sha256)
    except ValueError as exc:
        parser.error(str(exc))
    if args.retries < 1:
        parser.error("--retries must be at least 1")

    mirrors = [Path(m).expanduser() for m in args.mirror]
    mirrors += [m for m in resolve_mirrors(None) if m not in mirrors]
    try:
        place = fetch_file(
            args.dest,
            sha256=args.sha256,
            sources=args.source,
            dataset=args.dataset,
            mirrors=mirrors,
            retries=args.retries,
            timeout_s=args.timeout,
        )
    except DownloadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(place)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


def dataset_file(reference: str, dataset: str | None) -> tuple[str | None, str]:
    """A task's file reference -> (dataset, file name): `<dataset>/<file>` names another
    dataset's file, a bare name one of the task's `dataset` (file names hold no `/`)."""
    if "/" in reference:
        other, name = reference.split("/", 1)
        return other, name
    return dataset, reference
