"""Tests for dlgenomics.data.download: mirrors, sources, archives, checksums, retries, CLI."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dlgenomics.data import download
from dlgenomics.data.download import (
    MIRROR_ENV_VAR,
    DownloadError,
    fetch_file,
    main,
    mirror_candidates,
    resolve_mirrors,
    sha256_of,
)

DATASET = "toy"
NAME = "train_data.csv"
CONTENT = b"sequence,label\nACGTACGT,1\nTTGACCAA,0\nGGGCCCAT,1\n"
SHA = hashlib.sha256(CONTENT).hexdigest()
WRONG = b"sequence,label\nAAAA,0\n"
WRONG_SHA = hashlib.sha256(WRONG).hexdigest()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    return tmp_path / "out" / "data" / NAME


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Keep urllib off any proxy and off the real network: only 127.0.0.1 may be contacted."""
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.delenv(MIRROR_ENV_VAR, raising=False)
    real_urlopen = urllib.request.urlopen

    def local_only(request: urllib.request.Request, *args: object, **kwargs: object) -> object:
        host = urllib.parse.urlsplit(request.full_url).hostname
        assert host == "127.0.0.1", f"test tried to reach {host}"
        return real_urlopen(request, *args, **kwargs)

    monkeypatch.setattr(urllib.request, "urlopen", local_only)
    urllib.request.install_opener(None)  # rebuild the opener with the proxy-free environment
    yield
    urllib.request.install_opener(None)


# --- a tiny local HTTP server ---------------------------------------------------------------


@dataclass
class Server:
    base: str
    # path -> responses served in turn (the last one repeats): (status, body)
    routes: dict[str, list[tuple[int, bytes]]] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    user_agents: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server(base="")
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            with lock:
                count = state.hits.get(path, 0)
                state.hits[path] = count + 1
                state.user_agents.append(self.headers.get("User-Agent", ""))
                responses = state.routes.get(path, [(404, b"")])
                status, body = responses[min(count, len(responses) - 1)]
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.timeout = 0.05
    stop = threading.Event()
    deadline = time.monotonic() + 30  # stops itself even if teardown never runs

    def serve() -> None:
        while not stop.is_set() and time.monotonic() < deadline:
            httpd.handle_request()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    state.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield state
    finally:
        stop.set()
        thread.join(timeout=2)
        httpd.server_close()


# --- helpers and mirrors ----------------------------------------------------------------------


def test_sha256_of_matches_hashlib(tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)  # spans several read chunks
    path = write(tmp_path / "blob.bin", data)
    assert sha256_of(path) == hashlib.sha256(data).hexdigest()


def test_mirror_candidates_order(tmp_path: Path) -> None:
    assert mirror_candidates(tmp_path, DATASET, NAME) == [
        tmp_path / DATASET / NAME,
        tmp_path / DATASET / f"{NAME}.gz",
        tmp_path / NAME,
        tmp_path / f"{NAME}.gz",
    ]


def test_resolve_mirrors_order_and_env(tmp_path: Path) -> None:
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    assert resolve_mirrors(None, {}) == []
    assert resolve_mirrors(a, {}) == [Path(a)]
    assert resolve_mirrors(None, {MIRROR_ENV_VAR: b}) == [Path(b)]
    assert resolve_mirrors(a, {MIRROR_ENV_VAR: b}) == [Path(a), Path(b)]
    assert resolve_mirrors(a, {MIRROR_ENV_VAR: a}) == [Path(a)]
    assert resolve_mirrors("", {MIRROR_ENV_VAR: ""}) == []


def test_resolve_mirrors_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MIRROR_ENV_VAR, "/srv/mirror")
    assert resolve_mirrors("/cfg") == [Path("/cfg"), Path("/srv/mirror")]


@pytest.mark.parametrize("subfolder", [True, False], ids=["dataset-folder", "top-level"])
@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
def test_mirror_hit(tmp_path: Path, dest: Path, subfolder: bool, gz: bool) -> None:
    mirror = tmp_path / "mirror"
    folder = mirror / DATASET if subfolder else mirror
    name = f"{NAME}.gz" if gz else NAME
    hit = write(folder / name, gzip.compress(CONTENT) if gz else CONTENT)

    place = fetch_file(dest, sha256=SHA, sources=[], dataset=DATASET, mirrors=[mirror])

    assert place == f"mirror {hit}"
    assert dest.read_bytes() == CONTENT
    assert leftovers(dest.parent) == []


def test_dataset_folder_preferred_over_top_level(tmp_path: Path, dest: Path) -> None:
    mirror = tmp_path / "mirror"
    write(mirror / NAME, CONTENT)
    preferred = write(mirror / DATASET / f"{NAME}.gz", gzip.compress(CONTENT))
    place = fetch_file(dest, sha256=SHA, sources=[], dataset=DATASET, mirrors=[mirror])
    assert place == f"mirror {preferred}"


def test_mirror_searched_before_sources(
    tmp_path: Path, dest: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mirror = tmp_path / "mirror"
    write(mirror / DATASET / NAME, CONTENT)
    calls: list[str] = []

    def never(request: urllib.request.Request, *args: object, **kwargs: object) -> object:
        calls.append(request.full_url)
        raise AssertionError("source fetched although the mirror had the file")

    monkeypatch.setattr(urllib.request, "urlopen", never)
    place = fetch_file(
        dest,
        sha256=SHA,
        sources=["http://127.0.0.1:9/train_data.csv"],
        dataset=DATASET,
        mirrors=[mirror],
    )
    assert place.startswith("mirror ")
    assert calls == []


def test_later_mirror_used_when_first_is_empty(tmp_path: Path, dest: Path) -> None:
    empty, full = tmp_path / "m1", tmp_path / "m2"
    empty.mkdir()
    hit = write(full / NAME, CONTENT)
    place = fetch_file(dest, sha256=SHA, sources=[], dataset=DATASET, mirrors=[empty, full])
    assert place == f"mirror {hit}"


def test_dest_named_gz_is_not_decompressed(tmp_path: Path) -> None:
    packed = gzip.compress(CONTENT)
    source = write(tmp_path / "src" / "genome.fa.gz", packed)
    dest = tmp_path / "out" / "genome.fa.gz"
    fetch_file(dest, sha256=hashlib.sha256(packed).hexdigest(), sources=[str(source)], dataset="g")
    assert dest.read_bytes() == packed


# --- checksums and atomicity ------------------------------------------------------------------


def test_checksum_mismatch_raises_and_leaves_nothing(tmp_path: Path, dest: Path) -> None:
    source = write(tmp_path / "src" / NAME, WRONG)

    with pytest.raises(DownloadError) as info:
        fetch_file(dest, sha256=SHA, sources=[str(source)], dataset=DATASET)

    message = str(info.value)
    assert f"  - {source}: sha256 mismatch: got {WRONG_SHA}" in message.splitlines()
    assert not dest.exists()
    assert leftovers(dest.parent) == []


def test_mismatching_mirror_falls_through_to_source(tmp_path: Path, dest: Path) -> None:
    mirror = tmp_path / "mirror"
    write(mirror / DATASET / NAME, WRONG)
    source = write(tmp_path / "src" / NAME, CONTENT)
    place = fetch_file(dest, sha256=SHA, sources=[str(source)], dataset=DATASET, mirrors=[mirror])
    assert place == str(source)
    assert dest.read_bytes() == CONTENT


def test_existing_correct_dest_is_already_present(tmp_path: Path, dest: Path) -> None:
    write(dest, CONTENT)
    before = dest.stat().st_mtime_ns
    missing = str(tmp_path / "nowhere.csv")
    assert fetch_file(dest, sha256=SHA, sources=[missing], dataset=DATASET) == "already present"
    assert dest.stat().st_mtime_ns == before


def test_existing_wrong_dest_untouched_when_all_fail(tmp_path: Path, dest: Path) -> None:
    write(dest, WRONG)
    bad = write(tmp_path / "src" / NAME, b"still wrong\n")
    with pytest.raises(DownloadError):
        fetch_file(
            dest,
            sha256=SHA,
            sources=[str(tmp_path / "missing.csv"), str(bad)],
            dataset=DATASET,
        )
    assert dest.read_bytes() == WRONG
    assert leftovers(dest.parent) == []


def test_existing_wrong_dest_replaced_by_correct_source(tmp_path: Path, dest: Path) -> None:
    write(dest, WRONG)
    source = write(tmp_path / "src" / NAME, CONTENT)
    assert fetch_file(dest, sha256=SHA, sources=[str(source)], dataset=DATASET) == str(source)
    assert dest.read_bytes() == CONTENT


def test_interrupt_mid_copy_removes_temp_files(
    tmp_path: Path, dest: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(dest, WRONG)
    source = write(tmp_path / "src" / f"{NAME}.gz", gzip.compress(CONTENT))

    def interrupted(src: object, dst: object) -> str:
        dst.write(b"partial")  # type: ignore[attr-defined]
        raise KeyboardInterrupt

    monkeypatch.setattr(download, "_copy_hashing", interrupted)
    with pytest.raises(KeyboardInterrupt):
        fetch_file(dest, sha256=SHA, sources=[str(source)], dataset=DATASET)
    assert dest.read_bytes() == WRONG
    assert leftovers(dest.parent) == []


def test_creates_missing_dest_folder(tmp_path: Path) -> None:
    source = write(tmp_path / "src" / NAME, CONTENT)
    dest = tmp_path / "a" / "b" / "c" / NAME
    fetch_file(dest, sha256=SHA, sources=[str(source)], dataset=DATASET)
    assert dest.read_bytes() == CONTENT


def test_bad_sha256_argument_rejected(dest: Path) -> None:
    with pytest.raises(ValueError, match="sha256"):
        fetch_file(dest, sha256="abc", sources=[], dataset=DATASET)


# --- sources: paths, file URLs, zip members, gzip ---------------------------------------------


def test_source_fall_through(tmp_path: Path, dest: Path) -> None:
    missing = tmp_path / "src" / "missing.csv"
    good = write(tmp_path / "src" / NAME, CONTENT)
    place = fetch_file(dest, sha256=SHA, sources=[str(missing), str(good)], dataset=DATASET)
    assert place == str(good)
    assert dest.read_bytes() == CONTENT


def test_relative_path_source(tmp_path: Path, dest: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "src" / f"{NAME}.gz", gzip.compress(CONTENT))
    monkeypatch.chdir(tmp_path)
    place = fetch_file(dest, sha256=SHA, sources=[f"src/{NAME}.gz"], dataset=DATASET)
    assert place == f"src/{NAME}.gz"
    assert dest.read_bytes() == CONTENT


def test_zip_member_relative_path(
    tmp_path: Path, dest: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_zip(tmp_path / "path" / "to" / "archive.zip", {"other.csv": WRONG, NAME: CONTENT})
    monkeypatch.chdir(tmp_path)
    source = f"path/to/archive.zip#{NAME}"
    assert fetch_file(dest, sha256=SHA, sources=[source], dataset=DATASET) == source
    assert dest.read_bytes() == CONTENT
    assert leftovers(dest.parent) == []


def test_zip_member_file_url(tmp_path: Path, dest: Path) -> None:
    archive = make_zip(tmp_path / "dir with space" / "archive.zip", {NAME: CONTENT})
    source = f"{archive.as_uri()}#{NAME}"
    assert "%20" in source
    assert fetch_file(dest, sha256=SHA, sources=[source], dataset=DATASET) == source
    assert dest.read_bytes() == CONTENT


def test_zip_member_gz_is_decompressed(tmp_path: Path, dest: Path) -> None:
    archive = make_zip(tmp_path / "a.zip", {f"{NAME}.gz": gzip.compress(CONTENT)})
    fetch_file(dest, sha256=SHA, sources=[f"{archive}#{NAME}.gz"], dataset=DATASET)
    assert dest.read_bytes() == CONTENT


def test_zip_nested_member_needs_folder_name(tmp_path: Path, dest: Path) -> None:
    archive = make_zip(tmp_path / "a.zip", {f"inner/{NAME}": CONTENT})
    with pytest.raises(DownloadError, match="not in archive"):
        fetch_file(dest, sha256=SHA, sources=[f"{archive}#{NAME}"], dataset=DATASET)
    fetch_file(dest, sha256=SHA, sources=[f"{archive}#inner/{NAME}"], dataset=DATASET)
    assert dest.read_bytes() == CONTENT


def test_zip_missing_member_lists_members(tmp_path: Path, dest: Path) -> None:
    archive = make_zip(tmp_path / "a.zip", {"a.csv": b"1\n", "b.csv": b"2\n"})
    source = f"{archive}#x.csv"
    with pytest.raises(DownloadError) as info:
        fetch_file(dest, sha256=SHA, sources=[source], dataset=DATASET)
    expected = f"  - {source}: zip member 'x.csv' not in archive (members: a.csv, b.csv)"
    assert expected in str(info.value).splitlines()
    assert leftovers(dest.parent) == []


def test_not_a_zip_and_not_a_gzip(tmp_path: Path, dest: Path) -> None:
    fake_zip = write(tmp_path / "fake.zip", b"plain text\n")
    fake_gz = write(tmp_path / f"{NAME}.gz", CONTENT)
    with pytest.raises(DownloadError) as info:
        fetch_file(dest, sha256=SHA, sources=[f"{fake_zip}#{NAME}", str(fake_gz)], dataset=DATASET)
    lines = str(info.value).splitlines()
    assert f"  - {fake_zip}#{NAME}: not a zip archive" in lines
    assert f"  - {fake_gz}: not a gzip file" in lines
    assert leftovers(dest.parent) == []


def test_error_lists_every_place_tried(tmp_path: Path, dest: Path) -> None:
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    missing = str(tmp_path / "missing.csv")
    wrong = write(tmp_path / "wrong.csv", WRONG)

    with pytest.raises(DownloadError) as info:
        fetch_file(
            dest, sha256=SHA, sources=[missing, str(wrong)], dataset=DATASET, mirrors=[mirror]
        )

    lines = str(info.value).splitlines()
    assert lines[0] == (
        f"could not fetch {DATASET}/{NAME} (sha256 {SHA[:12]}…): "
        f"{wrong}: sha256 mismatch: got {WRONG_SHA}; not found in the other 5 places"
    )
    places = [f"mirror {p}: not found" for p in mirror_candidates(mirror, DATASET, NAME)]
    places += [f"{missing}: not found", f"{wrong}: sha256 mismatch: got {WRONG_SHA}"]
    assert lines[1:] == [f"  - {p}" for p in places]


# --- HTTP -------------------------------------------------------------------------------------


def test_http_success(server: Server, dest: Path) -> None:
    server.routes["/data/train_data.csv"] = [(200, CONTENT)]
    url = server.url("/data/train_data.csv")
    assert fetch_file(dest, sha256=SHA, sources=[url], dataset=DATASET, backoff_s=0) == url
    assert dest.read_bytes() == CONTENT
    assert server.hits["/data/train_data.csv"] == 1
    assert server.user_agents[0].startswith("dlgenomics")
    assert leftovers(dest.parent) == []


def test_http_gz_and_zip(server: Server, tmp_path: Path, dest: Path) -> None:
    server.routes["/t.csv.gz"] = [(200, gzip.compress(CONTENT))]
    archive = make_zip(tmp_path / "a.zip", {NAME: CONTENT})
    server.routes["/a.zip"] = [(200, archive.read_bytes())]

    fetch_file(dest, sha256=SHA, sources=[server.url("/t.csv.gz")], dataset=DATASET)
    assert dest.read_bytes() == CONTENT
    dest.unlink()
    zip_source = server.url(f"/a.zip#{NAME}")
    assert fetch_file(dest, sha256=SHA, sources=[zip_source], dataset=DATASET) == zip_source
    assert dest.read_bytes() == CONTENT
    assert leftovers(dest.parent) == []


def test_http_retries_transient_errors(server: Server, dest: Path) -> None:
    server.routes["/flaky.csv"] = [(503, b"busy"), (503, b"busy"), (200, CONTENT)]
    url = server.url("/flaky.csv")
    assert fetch_file(dest, sha256=SHA, sources=[url], dataset=DATASET, backoff_s=0) == url
    assert server.hits["/flaky.csv"] == 3
    assert dest.read_bytes() == CONTENT


def test_http_gives_up_after_retries(server: Server, dest: Path) -> None:
    server.routes["/down.csv"] = [(503, b"busy")]
    url = server.url("/down.csv")
    with pytest.raises(DownloadError) as info:
        fetch_file(dest, sha256=SHA, sources=[url], dataset=DATASET, retries=3, backoff_s=0)
    assert f"  - {url}: HTTP 503 Service Unavailable after 3 attempts" in str(info.value)
    assert server.hits["/down.csv"] == 3
    assert leftovers(dest.parent) == []


def test_http_404_not_retried(server: Server, tmp_path: Path, dest: Path) -> None:
    missing = server.url("/missing.csv")
    good = write(tmp_path / "src" / NAME, CONTENT)
    place = fetch_file(dest, sha256=SHA, sources=[missing, str(good)], dataset=DATASET, backoff_s=0)
    assert place == str(good)
    assert server.hits["/missing.csv"] == 1


def test_http_404_message(server: Server, dest: Path) -> None:
    url = server.url("/missing.csv")
    with pytest.raises(DownloadError) as info:
        fetch_file(dest, sha256=SHA, sources=[url], dataset=DATASET, backoff_s=0)
    assert f"  - {url}: HTTP 404 Not Found" in str(info.value).splitlines()


def fake_urlopen(error: Callable[[], BaseException], calls: list[str]) -> Callable[..., object]:
    def urlopen(request: urllib.request.Request, *args: object, **kwargs: object) -> object:
        calls.append(request.full_url)
        raise error()

    return urlopen


def test_timeouts_retried_with_exponential_backoff(
    dest: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    sleeps: list[float] = []
    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen(TimeoutError, calls))
    monkeypatch.setattr(download.time, "sleep", sleeps.append)
    url = "https://example.invalid/train_data.csv"
    with pytest.raises(DownloadError) as info:
        fetch_file(dest, sha256=SHA, sources=[url], dataset=DATASET, retries=4, backoff_s=0.5)
    assert f"  - {url}: timed out after 4 attempts" in str(info.value).splitlines()
    assert calls == [url] * 4
    assert sleeps == [0.5, 1.0, 2.0]  # doubling, and no sleep after the last attempt


def test_url_error_is_transient(dest: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def error() -> BaseException:
        return urllib.error.URLError("name resolution failed")

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen(error, calls))
    url = "https://x.invalid/a"
    with pytest.raises(DownloadError, match="network error: name resolution failed after 2"):
        fetch_file(dest, sha256=SHA, sources=[url], dataset=DATASET, retries=2, backoff_s=0)
    assert len(calls) == 2


# --- CLI --------------------------------------------------------------------------------------


def test_cli_failure(tmp_path: Path, dest: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = str(tmp_path / "missing.csv")
    argv = ["--dest", str(dest), "--sha256", SHA, "--dataset", DATASET, "--source", missing]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: could not fetch {DATASET}/{NAME}")
    assert f"  - {missing}: not found" in err
    assert not dest.exists()


def test_cli_success_with_mirror(
    tmp_path: Path, dest: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mirror = tmp_path / "mirror"
    hit = write(mirror / DATASET / f"{NAME}.gz", gzip.compress(CONTENT))
    argv = ["--dest", str(dest), "--sha256", SHA, "--dataset", DATASET, "--mirror", str(mirror)]
    assert main(argv) == 0
    assert capsys.readouterr().out.strip() == f"mirror {hit}"
    assert dest.read_bytes() == CONTENT


def test_cli_uses_env_mirror(
    tmp_path: Path, dest: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    mirror = tmp_path / "envmirror"
    hit = write(mirror / NAME, CONTENT)
    monkeypatch.setenv(MIRROR_ENV_VAR, str(mirror))
    assert main(["--dest", str(dest), "--sha256", SHA, "--dataset", DATASET]) == 0
    assert capsys.readouterr().out.strip() == f"mirror {hit}"


def test_local_file_without_sha256_is_taken_and_remote_one_refused(
    tmp_path: Path, dest: Path
) -> None:
    # A user's own file needs no checksum; a download from the network always does.
    local = write(tmp_path / "mine" / NAME, CONTENT)
    place = fetch_file(dest, sha256=None, sources=[str(local)], dataset=DATASET)
    assert place == str(local) and dest.read_bytes() == CONTENT
    other = tmp_path / "other" / NAME
    with pytest.raises(DownloadError, match="a remote source needs the file's sha256"):
        fetch_file(other, sha256=None, sources=["https://example.invalid/x.csv"], dataset=DATASET)
    assert not other.exists()
