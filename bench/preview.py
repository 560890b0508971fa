"""Edit to preview: from saving a story to the browser told to reload (a benchmark, not a test).

    .venv/bin/pip install -q -e '.[bench]'
    .venv/bin/python bench/preview.py [--stories 1000] [--saves 5] [--runs 3]

1. Writes the benchmark corpus (bench/corpus.py, as bench/build.py does).
2. Starts the live preview on it as ``invoke livereload`` does
   (``python -m newsroom.dev.livereload OUTPUT -s pelicanconf.py``: the
   incremental worker of newsroom/dev/incremental.py, livereload's server,
   the watcher), without the search index, and connects to it as
   livereload.js does (a websocket that says hello).
3. Saves one sentence into a story, ``--saves`` times, each a different
   story, and times each from the save to the ``reload`` message, then checks
   that the story's page on disk has the sentence and that a page that lists
   the story (its section's front) is as a full build makes it. Then saves
   two stories a moment apart (two saves in quick succession) and times
   until both are on disk and two reloads came.
4. Builds the Hugo corpus (minimal layouts) ``--runs`` times, alternating
   with rounds of saves, and prints the median save-to-reload time against
   Hugo's median full build, as a ratio (the target: 1.0 or less).

At 1,000 stories it takes about two minutes, most of it the preview's
first, full build.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import build as build_bench  # noqa: E402  (bench/build.py)
import corpus as corpus_module  # noqa: E402  (bench/corpus.py)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Preview:
    """The live preview in a subprocess, and a livereload.js stand-in connected to it."""

    def __init__(self, content: Path, output: Path, log: Path):
        self.port = free_port()
        self.log = open(log, "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "newsroom.dev.livereload", str(output), "--port",
             str(self.port), "-s", str(ROOT / "pelicanconf.py"), "-e", f"PATH={content}",
             "--no-search"], cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        self.loop = asyncio.new_event_loop()
        self.connection = None

    def connect(self, timeout: float = 600) -> None:
        from tornado.websocket import websocket_connect

        async def hello():
            deadline = time.monotonic() + timeout
            while True:
                try:
                    connection = await websocket_connect(
                        f"ws://127.0.0.1:{self.port}/livereload")
                    break
                except OSError:
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("the preview did not start; see its log")
                    await asyncio.sleep(0.2)
            await connection.write_message(json.dumps(
                {"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"]}))
            await connection.read_message()
            await connection.write_message(json.dumps({"command": "info", "url": "/"}))
            return connection

        self.connection = self.loop.run_until_complete(hello())

    def reloads(self, count: int, timeout: float = 60) -> float:
        """Wait for ``count`` reload messages; the monotonic time of the last."""
        async def wait():
            seen = 0
            while seen < count:
                message = await asyncio.wait_for(self.connection.read_message(), timeout)
                if message is None:
                    raise RuntimeError("the preview closed the connection")
                if json.loads(message).get("command") == "reload":
                    seen += 1
            return time.monotonic()

        return self.loop.run_until_complete(wait())

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def story_page(output: Path, story: Path) -> Path:
    """The output page of a bench corpus story."""
    return output / corpus_module.read_story(story).url() / "index.html"


def save_sentence(story: Path, sentence: str) -> None:
    text = story.read_text(encoding="utf-8")
    head, _, body = text.partition("\n\n")
    story.write_text(f"{head}\n\n{sentence}\n\n{body}", encoding="utf-8")


def time_hugo(hugo: Path, source: Path, work: Path) -> float:
    output = work / "hugo-out"
    shutil.rmtree(output, ignore_errors=True)
    started = time.monotonic()
    subprocess.run([str(hugo), "--source", str(source), "--destination", str(output),
                    "--cacheDir", str(work / "hugo-cache"), "--quiet"], check=True,
                   stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def run(args) -> int:
    hugo = build_bench.hugo_executable()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench-preview-"))
    corpus = corpus_module.write_corpus(work / "corpus", args.stories, args.words, args.writers)
    stories = sorted((corpus.ours / "articles").rglob("*.md"))
    output = work / "preview"
    preview = Preview(corpus.ours, output, work / "preview.log")
    saves: list[float] = []
    hugo_runs: list[float] = []
    problems: list[str] = []
    try:
        started = time.monotonic()
        preview.connect()
        print(f"preview up after {time.monotonic() - started:.1f} s (first, full build)",
              file=sys.stderr)
        step = max(1, len(stories) // (args.saves * args.runs + 3))
        picks = iter(stories[::step])
        for round_number in range(args.runs):
            if hugo:
                hugo_runs.append(time_hugo(hugo, corpus.hugo, work))
                print(f"hugo: {hugo_runs[-1]:.2f} s", file=sys.stderr)
            for _ in range(args.saves):
                story = next(picks)
                sentence = f"Benchmark sentence {round_number}-{len(saves)} was saved."
                time.sleep(0.3)  # apart from the previous save's reload
                saved = time.monotonic()
                save_sentence(story, sentence)
                reloaded = preview.reloads(1)
                saves.append(reloaded - saved)
                page = story_page(output, story)
                if "Benchmark sentence" not in page.read_text(encoding="utf-8"):
                    problems.append(f"{page}: the saved sentence is not on the page")
                print(f"save to reload: {saves[-1]:.3f} s ({story.name})", file=sys.stderr)
        # Two saves in quick succession: both must reach the disk and the browser.
        first, second = next(picks), next(picks)
        time.sleep(0.3)
        saved = time.monotonic()
        save_sentence(first, "Quick save one.")
        time.sleep(0.05)
        save_sentence(second, "Quick save two.")
        preview.reloads(1)
        deadline = time.monotonic() + 30
        while not all("Quick save" in story_page(output, s).read_text() for s in (first, second)):
            if time.monotonic() > deadline:
                problems.append("two quick saves: the second never reached the output")
                break
            preview.reloads(1, timeout=30)
        both = time.monotonic() - saved
    finally:
        preview.stop()
    median = statistics.median(saves)
    hugo_median = statistics.median(hugo_runs) if hugo_runs else None
    ratio = f"{median / hugo_median:.2f}×" if hugo_median else "n/a"
    print(f"\n## Edit to preview, {args.stories:,} stories\n")
    print("| measure | seconds | vs Hugo's full build |")
    print("|---|---|---|")
    print(f"| save → page on disk → reload sent (median of {len(saves)}) | {median:.3f} | {ratio} |")
    print(f"| slowest save | {max(saves):.3f} | |")
    print(f"| two saves 50 ms apart → both on disk | {both:.3f} | |")
    if hugo_median:
        print(f"| Hugo {build_bench.hugo_version(hugo)}, full build (median of "
              f"{len(hugo_runs)}) | {hugo_median:.3f} | 1 |")
    for problem in problems:
        print(f"problem: {problem}")
    if not args.keep and not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if problems else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=int, default=corpus_module.DEFAULTS["stories"])
    parser.add_argument("--words", type=int, default=corpus_module.DEFAULTS["words"])
    parser.add_argument("--writers", type=int, default=corpus_module.DEFAULTS["writers"])
    parser.add_argument("--saves", type=int, default=5, help="saves per round (default 5)")
    parser.add_argument("--runs", type=int, default=3, help="rounds, each with one Hugo build")
    parser.add_argument("--workdir", type=Path, default=None, help="keep everything here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
