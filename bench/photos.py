"""Photo pipeline benchmark (not a test: numbers depend on the machine).

    .venv/bin/python bench/photos.py [-n 50] [--engine pillow|pyvips|image-process]

1. Draws N photo-like stand-ins, 2400x1600 (kept in bench/out/sources).
2. Cold: encodes every rendition the site makes for a body photo (widths x
   formats: the site's settings) into an empty cache, on 1 core, then on all
   cores, and prints photos per second.
3. Warm: runs again on the filled cache and prints how many it encoded.
4. Prints the lead photo's bytes at 800 px wide in each format next to a
   JPEG at quality 85, with SSIM against the lossless 800 px downscale.

The pyvips and image-process engines are for comparing tools; they need
``pyvips``/``pyvips-binary`` or ``pelican-image-process`` installed (a
scratch venv), which the project itself does not depend on.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

import pelicanconf  # noqa: E402
from newsroom.core.settings import resolve  # noqa: E402
from plugins.photos.metadata import PhotoText, read_source  # noqa: E402
from plugins.photos.model import plan_photo  # noqa: E402
from plugins.photos.renditions import Job, run_jobs, source_digest  # noqa: E402

OUT = ROOT / "bench" / "out"
LEAD = ROOT / "content" / "images" / "un-security-council-kenya-haiti-collage.jpg"
# The site's settings with every default (the PHOTO_* ones live in newsroom/core/settings.py).
SETTINGS = resolve({name: getattr(pelicanconf, name) for name in dir(pelicanconf)
                    if name.isupper()})


def standin_module():
    spec = importlib.util.spec_from_file_location(
        "make_standin_photos", ROOT / "scripts" / "make_standin_photos.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _draw(args):
    index, path = args
    standins = standin_module()
    base = standins.PHOTOS[index % len(standins.PHOTOS)]
    photo = standins.StandIn(path.name, f"bench photo {index}", "", "", "",
                             seed=1000 + index, colours=base.colours)
    standins.draw_photo(photo).save(path, "JPEG", quality=90)


def make_sources(count: int) -> list[Path]:
    folder = OUT / "sources"
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"bench-{i:03d}.jpg" for i in range(count)]
    todo = [(i, p) for i, p in enumerate(paths) if not p.is_file()]
    if todo:
        with ProcessPoolExecutor(mp_context=get_context("fork")) as pool:
            list(pool.map(_draw, todo))
    return paths


def plan(paths: list[Path]) -> list[Job]:
    jobs = []
    for path in paths:
        _photo, photo_jobs = plan_photo(SETTINGS, path, read_source(path), source_digest(path),
                                        PhotoText(alt="bench"), False, lead=False)
        jobs += photo_jobs
    return jobs


# --- other engines (comparison only) ---------------------------------------------

def _encode_vips(job: Job, cache: str) -> None:
    import pyvips

    image = pyvips.Image.new_from_file(job.source, access="sequential").autorot()
    left, top, right, bottom = job.crop
    image = image.crop(left, top, right - left, bottom - top)
    image = image.resize(job.width / (right - left), kernel="lanczos3")
    options = dict(job.options)
    target = os.path.join(cache, job.name)
    if job.format == "jpeg":
        image.jpegsave(target, Q=options.get("quality", 82), optimize_coding=True,
                       interlace=True, keep="none")
    elif job.format == "webp":
        image.webpsave(target, Q=options.get("quality", 76), effort=options.get("method", 4),
                       keep="none")
    else:  # libvips' effort 0-9 runs the other way from libaom's speed 0-10
        image.heifsave(target, Q=options.get("quality", 55), compression="av1",
                       effort=max(0, 9 - options.get("speed", 8)), keep="none")


def _encode_image_process(job: Job, cache: str) -> None:
    from pelican.plugins.image_process import image_process

    settings = {"IMAGE_PROCESS_FORCE": True, "IMAGE_PROCESS_COPY_EXIF_TAGS": False}
    target = os.path.join(cache, job.name)
    image_process.process_image((job.source, target, [f"scale_in {job.width} {job.height} False"]),
                                settings)


def run_engine(engine: str, jobs: list[Job], cache: Path, workers: int) -> int:
    """Encode ``jobs`` into ``cache``; return how many were encoded."""
    if engine == "pillow":
        output = Path(tempfile.mkdtemp(prefix="bench-output-", dir=OUT))
        try:
            return run_jobs(jobs, cache, output, workers).encoded
        finally:
            shutil.rmtree(output)
    cache.mkdir(parents=True, exist_ok=True)
    encoder = _encode_vips if engine == "pyvips" else _encode_image_process
    missing = [job for job in jobs if not (cache / job.name).exists()]
    if workers > 1:
        # spawn: libvips starts threads on first use and does not survive fork.
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            list(pool.map(encoder, missing, [str(cache)] * len(missing)))
    else:
        for job in missing:
            encoder(job, str(cache))
    return len(missing)


# --- quality ----------------------------------------------------------------------

def ssim(reference: Image.Image, candidate: Image.Image) -> float:
    """Mean SSIM of the luma (Wang et al. 2004) over 8x8 windows, step 4."""
    import numpy as np

    def luma(image):
        return np.asarray(image.convert("L"), dtype=np.float64)

    x, y = luma(reference), luma(candidate)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    window = np.lib.stride_tricks.sliding_window_view
    wx, wy = window(x, (8, 8))[::4, ::4], window(y, (8, 8))[::4, ::4]
    mx, my = wx.mean(axis=(-1, -2)), wy.mean(axis=(-1, -2))
    vx, vy = wx.var(axis=(-1, -2)), wy.var(axis=(-1, -2))
    cov = ((wx - mx[..., None, None]) * (wy - my[..., None, None])).mean(axis=(-1, -2))
    s = ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2))
    return float(s.mean())


def lead_photo_sizes() -> None:
    original = Image.open(LEAD).convert("RGB")
    height = round(original.height * 800 / original.width)
    reference = original.resize((800, height), Image.Resampling.LANCZOS)
    options = SETTINGS["PHOTO_ENCODER_OPTIONS"]
    candidates = [("JPEG q85 (baseline)", "JPEG", {"quality": 85, "optimize": True})]
    candidates += [(f"{fmt.upper()} site setting {options[fmt]}", fmt.upper(), options[fmt])
                   for fmt in SETTINGS["PHOTO_FORMATS"]]
    print("\nLead photo at 800 px wide:")
    baseline = None
    for label, fmt, kwargs in candidates:
        buffer = io.BytesIO()
        reference.save(buffer, fmt, **kwargs)
        size = len(buffer.getvalue())
        baseline = baseline or size
        decoded = Image.open(io.BytesIO(buffer.getvalue()))
        print(f"  {label:<58} {size:>7} bytes  {size / baseline:6.1%}  "
              f"SSIM {ssim(reference, decoded):.4f}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--photos", type=int, default=50)
    parser.add_argument("--engine", choices=["pillow", "pyvips", "image-process"], default="pillow")
    args = parser.parse_args(argv)
    cores = os.cpu_count() or 1
    paths = make_sources(args.photos)
    with Image.open(paths[0]) as first:
        print(f"{len(paths)} photos of {first.width}x{first.height} px, engine {args.engine}, "
              f"{cores} cores")
    jobs = plan(paths)
    print(f"{len(jobs)} renditions ({len(jobs) // len(paths)} per photo: "
          f"{SETTINGS['PHOTO_WIDTHS']} px x {SETTINGS['PHOTO_FORMATS']})")
    rates = {}
    for workers in sorted({1, cores}):
        cache = Path(tempfile.mkdtemp(prefix=f"bench-cache-{workers}-", dir=OUT))
        started = time.perf_counter()
        encoded = run_engine(args.engine, jobs, cache, workers)
        elapsed = time.perf_counter() - started
        rates[workers] = len(paths) / elapsed
        print(f"cold, {workers} core(s): {encoded} encoded in {elapsed:.1f} s = "
              f"{rates[workers]:.2f} photos/s")
        if workers == cores:
            started = time.perf_counter()
            warm = run_engine(args.engine, jobs, cache, workers)
            print(f"warm, {workers} core(s): {warm} encoded "
                  f"({time.perf_counter() - started:.2f} s)")
        shutil.rmtree(cache)
    if cores > 1:
        print(f"speed-up on {cores} cores: {rates[cores] / rates[1]:.2f}x")
    if args.engine == "pillow":
        lead_photo_sizes()
    return 0


if __name__ == "__main__":
    sys.exit(main())
