"""``invoke livereload`` as an editor uses it: save, and the browser shows it (Chromium).

The preview (``python -m newsroom.dev.livereload OUTPUT -s SETTINGS``, the
code behind ``invoke livereload``) serves a copy of the content while a page
of it is open in Chromium. A save that breaks the story puts the problem,
with file and line, in the browser; the fix brings the page back; and a
second save right after a reload reaches the browser too (livereload on its
own drops a change that comes within seconds of the last reload).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from helpers.building import ARTICLE_URL, DEVELOPMENT, ROOT, SEED, copy_content

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def live_preview(tmp_path):
    content = copy_content(tmp_path)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "newsroom.dev.livereload", str(tmp_path / "output"),
         "--port", str(port), "-s", str(DEVELOPMENT), "-e", f"PATH={content}", "--no-search"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/{ARTICLE_URL}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail(f"the preview did not start: {server.communicate()[0]}")
        time.sleep(0.1)
    yield content / "articles" / SEED, url
    server.kill()
    server.communicate()


def text_shown(page, text: str, timeout: float = 20_000) -> None:
    page.wait_for_function("text => document.body && document.body.innerText.includes(text)",
                           arg=text, timeout=timeout)


def test_errors_and_quick_saves_reach_the_browser(browser, live_preview):
    story, url = live_preview
    original = story.read_text(encoding="utf-8")
    page = browser.new_page()
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda frame: frames.append(
        frame if isinstance(frame, str) else frame.decode("utf-8", "replace"))))
    page.goto(url)
    # livereload.js has said hello and been answered: reloads can reach it.
    deadline = time.monotonic() + 20
    while not any('"hello"' in frame for frame in frames):
        assert time.monotonic() < deadline, "livereload.js never connected"
        page.wait_for_timeout(50)

    # A mistake: the problem, with its file and line, is in the browser.
    story.write_text(original.replace("Date: 2024-06-15", "Date: 2024-13-45"), encoding="utf-8")
    text_shown(page, "Build failed")
    assert f"articles/{SEED}:2" in page.inner_text("body")

    # The fix, then a second save right after the reload it caused.
    story.write_text(original.replace("\n\n", "\n\nFirst save of the fix.\n\n", 1),
                     encoding="utf-8")
    text_shown(page, "First save of the")  # typogrify joins "the fix" with a no-break space
    assert page.locator("h1").inner_text().startswith("Ruto")
    story.write_text(original.replace("\n\n", "\n\nSecond save, moments later.\n\n", 1),
                     encoding="utf-8")
    text_shown(page, "Second save, moments", timeout=10_000)
    assert "First save" not in page.inner_text("body")
    reloads = [frame for frame in frames if '"reload"' in frame]
    assert len(reloads) >= 3, frames
    page.close()
