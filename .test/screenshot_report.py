"""The Snakemake report, seen in a real browser: headless Chromium opens it at 1,280 x 800 px,
shows the landing page, a task's leaderboard and a figure, and keeps a screenshot of each.

    python .test/screenshot_report.py .test/report.html .test/screenshots

Exits non-zero naming what is wrong when the page logs an error to its console (in the report
or in a page shown inside it), when a leaderboard's key columns (table.key) do not fit the
width the report gives it, or when there is no leaderboard or figure to show. Chromium is driven
through its DevTools protocol over a pipe (`--remote-debugging-pipe`): no extra packages.
The browser is `chromium` on PATH, or $DLGENOMICS_CHROMIUM.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WIDTH, HEIGHT = 1280, 800  # a laptop screen: the leaderboard's key columns must fit it
TIMEOUT_S = 60.0
SCREENSHOTS = ("landing.png", "leaderboard.png", "figure.png")


def chromium() -> str | None:
    """The browser to drive: $DLGENOMICS_CHROMIUM, else chromium (Debian) on PATH."""
    return os.environ.get("DLGENOMICS_CHROMIUM") or shutil.which("chromium")


class DevTools:
    """A headless Chromium and its DevTools protocol over fds 3 (commands) and 4 (replies)."""

    def __init__(self, browser: str, profile: Path) -> None:
        command_read, self._command_write = os.pipe()
        self._reply_read, reply_write = os.pipe()
        # Out of the way of 3 and 4 before the child moves them there.
        keep = [fcntl.fcntl(fd, fcntl.F_DUPFD, 100) for fd in (command_read, reply_write)]
        for fd in (command_read, reply_write):
            os.close(fd)
        flags = ["--headless", "--remote-debugging-pipe", "--disable-gpu", "--no-first-run",
                 "--no-default-browser-check", "--hide-scrollbars", f"--user-data-dir={profile}",
                 f"--window-size={WIDTH},{HEIGHT}"]  # fmt: skip
        if os.geteuid() == 0:  # CI runs as root, where Chromium's sandbox cannot start
            flags.append("--no-sandbox")
        self.process = subprocess.Popen(
            [browser, *flags, "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "TMPDIR": str(profile)},  # its lock files go with the profile
            pass_fds=(3, 4),
            preexec_fn=lambda: (os.dup2(keep[0], 3), os.dup2(keep[1], 4)),
        )
        for fd in keep:
            os.close(fd)
        self._next_id, self._buffer = 0, b""
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        """One command's result; events that arrive meanwhile are kept in `events`."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._command_write, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            reply = self._read(deadline)
            if reply is None:
                raise TimeoutError(f"Chromium did not answer {method} in {TIMEOUT_S:g} s")
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})
            self.events.append(reply)

    def pump(self, seconds: float) -> None:
        """Collect events for `seconds`."""
        deadline = time.monotonic() + seconds
        while (event := self._read(deadline)) is not None:
            self.events.append(event)

    def _read(self, deadline: float) -> dict | None:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._reply_read], [], [], left)[0]:
                return None
            chunk = os.read(self._reply_read, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed its DevTools pipe (did it start?)")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def close(self) -> None:
        """Ask Chromium to quit (it then removes its own files); stop it otherwise."""
        with contextlib.suppress(OSError, RuntimeError, TimeoutError):
            self.send("Browser.close")
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._command_write)
        os.close(self._reply_read)


@dataclass
class Page:
    """One tab, and the sessions of the frames Chromium runs in other processes."""

    tools: DevTools
    session: str
    frames: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, tools: DevTools) -> Page:
        target = tools.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = tools.send("Target.attachToTarget", {"targetId": target, "flatten": True})
        page = cls(tools, session["sessionId"])
        page.listen(page.session)
        tools.send("Page.enable", session=page.session)
        tools.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False},
            session=page.session,
        )
        return page

    def listen(self, session: str) -> None:
        """Console messages, uncaught exceptions and browser log entries of `session`, and
        frames of other processes (a page shown inside the report) attached as they come."""
        for method in ("Runtime.enable", "Log.enable"):
            self.tools.send(method, session=session)
        self.tools.send(
            "Target.setAutoAttach",
            {"autoAttach": True, "waitForDebuggerOnStart": False, "flatten": True},
            session=session,
        )

    def settle(self, seconds: float) -> None:
        """Let the page work; listen to frames attached meanwhile."""
        self.tools.pump(seconds)
        for event in list(self.tools.events):
            if event.get("method") == "Target.attachedToTarget":
                child = event["params"]["sessionId"]
                if child not in self.frames:
                    self.frames.append(child)
                    self.listen(child)

    def goto(self, url: str) -> None:
        self.tools.send("Page.navigate", {"url": url}, session=self.session)
        self.wait_for("document.readyState === 'complete'", "the page to load")

    def evaluate(self, expression: str, session: str | None = None) -> Any:
        result = self.tools.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session=session or self.session,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:60]}...: {result['exceptionDetails']['text']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, what: str) -> None:
        deadline = time.monotonic() + TIMEOUT_S
        while not self.evaluate(expression):
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {TIMEOUT_S:g} s for {what}")
            self.settle(0.2)

    def screenshot(self, path: Path) -> None:
        self.settle(1.0)  # fonts, images and the frame's own layout
        shot = self.tools.send("Page.captureScreenshot", {"format": "png"}, session=self.session)
        path.write_bytes(base64.b64decode(shot["data"]))


def console_errors(events: list[dict[str, Any]]) -> list[str]:
    """What the pages said was wrong: console.error/assert, uncaught exceptions, and the
    browser's own error entries (failed loads, blocked content)."""
    errors = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
            errors.append(f"console.{params['type']}: {text}")
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            thrown = details.get("exception", {}).get("description", details["text"])
            errors.append(f"uncaught: {thrown}")
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            entry = params["entry"]
            errors.append(f"{entry['source']}: {entry['text']} {entry.get('url', '')}".strip())
    return errors


# Snakemake's report is one page app: `results` maps each item's path to its labels, rule and
# data URI, `categories` files the paths by task and subcategory, and `app.setView` is what a
# click on an item calls (there are no URLs to each view).
ITEMS = """Object.entries(categories).flatMap(([category, subcategories]) =>
  Object.entries(subcategories).flatMap(([subcategory, paths]) => paths.map(path => ({
    path, category, subcategory, mime: results[path].mime_type,
    figure: (results[path].labels || {}).figure || results[path].name}))))"""
# The category first, then the item, as a reader's clicks go (Snakemake keeps a subcategory's
# list until another view replaces it).
CATEGORY = """app.setView({{navbarMode: "category", category: {category}}})"""
SHOW = """(item => {{
  app.setView({{navbarMode: "subcategory", category: item.category, subcategory: item.subcategory,
    content: item.mime === "text/html" ? "html" : "img",
    contentPath: results[item.path].data_uri, resultPath: item.path}});
  return true; }})({item})"""
# Inside the leaderboard's frame: whether it has loaded, which page it is (the end of its data
# URI), how far right its key table reaches (null: none) and the frame's width.
KEY_FITS = """(() => { const key = document.querySelector("table.key");
  return [document.readyState, location.href.slice(-80),
          key ? key.getBoundingClientRect().right : null,
          document.documentElement.clientWidth]; })()"""


@dataclass
class Findings:
    screenshots: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def show(page: Page, item: dict) -> None:
    """The item in the report, its task's list beside it."""
    page.evaluate(CATEGORY.format(category=json.dumps(item["category"])))
    page.settle(0.3)
    page.evaluate(SHOW.format(item=json.dumps(item)))
    page.settle(0.5)


def frame_values(page: Page, expression: str) -> list[Any]:
    """`expression` in each frame the report shows (a page inside it), wherever Chromium runs
    it: in the report's own process or in one of its own."""
    tree = page.tools.send("Page.getFrameTree", session=page.session)["frameTree"]
    children = {child["frame"]["id"] for child in tree.get("childFrames", [])}
    contexts = [
        event["params"]["context"]["id"]
        for event in page.tools.events
        if event.get("method") == "Runtime.executionContextCreated"
        and event["params"]["context"].get("auxData", {}).get("frameId") in children
        and event["params"]["context"].get("auxData", {}).get("isDefault")
    ]
    values = []
    for context in contexts:
        with contextlib.suppress(RuntimeError):  # a frame gone since, or navigated away
            result = page.tools.send(
                "Runtime.evaluate",
                {"expression": expression, "returnByValue": True, "contextId": context},
                session=page.session,
            )
            values.append(result.get("result", {}).get("value"))
    for session in page.frames:
        with contextlib.suppress(RuntimeError):
            values.append(page.evaluate(expression, session))
    return values


def measure(page: Page, item: dict) -> tuple[float | None, float]:
    """(right edge of the key table or None, frame width) of the leaderboard `item` shown."""
    tail = page.evaluate(f"results[{json.dumps(item['path'])}].data_uri.slice(-80)")
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        for value in frame_values(page, KEY_FITS):
            if value and value[0] == "complete" and value[1] == tail:
                return value[2], value[3]
        page.settle(0.3)
    raise TimeoutError(f"{item['path']} did not load in {TIMEOUT_S:g} s")


def check_leaderboards(page: Page, items: list[dict], out: Path, findings: Findings) -> None:
    """Every task's leaderboard: its key table fits the report's frame at WIDTH px. The widest
    one (most columns) is kept as a screenshot."""
    boards = [item for item in items if item["subcategory"] == "leaderboard"]
    if not boards:
        findings.problems.append("the report shows no leaderboard")
        return
    widest: tuple[float, dict] | None = None
    for board in boards:
        show(page, board)
        right, width = measure(page, board)
        if right is None:
            findings.problems.append(f"{board['path']}: no key table (table.key) in the page")
            continue
        if right > width + 0.5:
            findings.problems.append(
                f"{board['path']}: key columns reach {right:.0f} px in a {width:.0f} px frame "
                f"(window {WIDTH} px): a reader scrolls sideways"
            )
        if widest is None or right > widest[0]:
            widest = (right, board)
    if widest is not None:
        show(page, widest[1])
        measure(page, widest[1])  # loaded, before the picture
        _keep(page, out / "leaderboard.png", findings)


def _keep(page: Page, path: Path, findings: Findings) -> None:
    page.screenshot(path)
    findings.screenshots.append(path)


def show_figure(page: Page, items: list[dict], out: Path, findings: Findings) -> None:
    """A figure page: a test file's ROC curves where there is one, else any ROC curve, else the
    first image."""
    images = [item for item in items if item["mime"] == "image/png"]
    if not images:
        findings.problems.append("the report shows no figure")
        return
    rank: Callable[[dict], int] = lambda item: (  # noqa: E731
        0 if "ROC" in item["figure"] and "test" in item["figure"] else
        1 if "ROC" in item["figure"] else 2
    )  # fmt: skip
    figure = min(images, key=rank)
    show(page, figure)
    page.wait_for("!!document.querySelector('img[src^=\"data:image\"]')", "the figure")
    _keep(page, out / "figure.png", findings)


def inspect_report(report: Path, out: Path, browser: str) -> Findings:
    """Open `report`, keep the SCREENSHOTS under `out`, and say what is wrong."""
    out.mkdir(parents=True, exist_ok=True)
    findings = Findings()
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        tools = DevTools(browser, Path(profile))
        try:
            page = Page.open(tools)
            page.goto(report.resolve().as_uri())
            page.wait_for("typeof app !== 'undefined' && !!document.querySelector('nav')",
                          "the report's app to start")  # fmt: skip
            _keep(page, out / "landing.png", findings)
            items = page.evaluate(ITEMS)
            check_leaderboards(page, items, out, findings)
            show_figure(page, items, out, findings)
            page.settle(0.5)
            findings.problems += console_errors(tools.events)
        finally:
            tools.close()
    return findings


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    browser = chromium()
    if browser is None:
        print("error: chromium not found (apt-get install chromium, or set DLGENOMICS_CHROMIUM)",
              file=sys.stderr)  # fmt: skip
        return 1
    report, out = Path(argv[0]), Path(argv[1])
    if not report.is_file():
        print(f"error: {report}: no report (snakemake --report {report} first)", file=sys.stderr)
        return 1
    findings = inspect_report(report, out, browser)
    for problem in findings.problems:
        print(f"error: {report}: {problem}", file=sys.stderr)
    print("screenshots: " + ", ".join(str(p) for p in findings.screenshots))
    return 1 if findings.problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
