"""A real `mkdocs serve` survives a typo in a page and shows the fixed page once it is fixed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Callable

import pytest
from conftest import BIN, ENV

# libfaketime (make test-clock) stops the live server from noticing edits: its timed waits use the faked clock.
pytestmark = pytest.mark.realclock

QP = "procedures/QP-01-control-of-documented-information.md"
URL_PATH = "procedures/QP-01-control-of-documented-information/"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`mkdocs serve` on a free port, its log in a file."""

    def __init__(self, project: Path, log: Path):
        self.port = free_port()
        self.log = log
        self.out = log.open("w")
        self.proc = subprocess.Popen([str(BIN / "mkdocs"), "serve", "-a", f"127.0.0.1:{self.port}"],
                                     cwd=project, stdout=self.out, stderr=subprocess.STDOUT, env=ENV,
                                     start_new_session=True)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def get(self, path: str) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/{path}", timeout=10) as response:
            return response.read().decode("utf-8")

    def wait(self, what: str, ready: Callable[[], bool], seconds: float = 120) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            assert self.proc.poll() is None, f"mkdocs serve ended while waiting for {what}:\n{self.text()[-4000:]}"
            try:
                if ready():
                    return
            except OSError:
                pass
            time.sleep(0.25)
        raise AssertionError(f"timed out waiting for {what}:\n{self.text()[-4000:]}")

    def assert_up(self) -> None:
        """The process runs and answers HTTP. (Its pages wait for a good build: MkDocs serves no half-built site.)"""
        assert self.proc.poll() is None, self.text()[-4000:]
        assert self.get("livereload/0/0").isdigit()  # the live-reload endpoint: the number of the last good build

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.out.close()


@pytest.fixture
def server(new_project: Path, tmp_path: Path):
    served = Server(new_project, tmp_path / "serve.log")
    try:
        served.wait("the first build", lambda: "QP-01 Control of documented information" in served.get(URL_PATH))
        yield served
    finally:
        served.stop()


def rebuilds(server: Server) -> int:
    return server.text().count("Building documentation...")


def edit_and_wait(server: Server, path: Path, text: str, what: str, logged: str) -> None:
    before = rebuilds(server)
    path.write_text(text)
    server.wait(what, lambda: rebuilds(server) > before and logged in server.text()[-20000:])


def test_serve_logs_a_macro_typo_keeps_serving_and_shows_the_page_once_fixed(new_project: Path, server: Server):
    page = new_project / QP
    original = page.read_text()
    line = original.count("\n") + 3  # after two blank lines

    edit_and_wait(server, page, original + "\n\nSee {{ term('nonconformityy') }}.\n", "the unknown term",
                  f"{QP}:{line}: unknown term 'nonconformityy'")
    server.assert_up()

    edit_and_wait(server, page, original + "\n\nSee {{ termm('nonconformity') }}.\n", "the undefined macro",
                  f"{QP}:{line}: 'termm' is undefined")
    server.assert_up()

    page.write_text(original + "\n\nFixed: see {{ term('nonconformity') }}.\n")
    server.wait("the fixed page", lambda: "Fixed: see" in server.get(URL_PATH))
    html = server.get(URL_PATH)
    assert 'class="qms-term"' in html and ">nonconformity</a>" in html
    assert server.proc.poll() is None
