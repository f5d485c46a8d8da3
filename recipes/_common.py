"""Helpers shared by the recipes: options, the STAC API and cluster they run on, pictures.

Not a recipe itself. The recipes import it as ``_common`` (Python puts a script's folder first
on ``sys.path``), so run them as ``python recipes/<name>.py``.

- :func:`parser` gives every recipe the same options (``--out``, ``--overwrite``,
  ``--workers``, ``--chunk``); :func:`add_data_options` adds ``--data`` and ``--cluster``
  for the recipes on real rasters.
- :func:`services` builds a STAC catalog over a folder of rasters (the packaged demo data by
  default), serves it as a real STAC API on loopback and starts a Dask cluster with
  :func:`geoquant.cluster` (``local``: worker processes on this machine), the way a user
  would point geoquant at a real catalog and cluster.
- :func:`run` turns geoquant's own errors into one line and exit status 2, as the CLI does.
- The picture helpers draw quick-look PNGs with Pillow only: greyscale and class colours,
  titled panels side by side, and small line and bar charts.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from geoquant.demo import DEMO_DATA

#: Distinct colours for class codes and object ids (RGB), cycled.
PALETTE = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
           (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
           (174, 199, 232), (255, 187, 120), (152, 223, 138), (255, 152, 150), (197, 176, 213),
           (196, 156, 148), (247, 182, 210), (199, 199, 199), (219, 219, 141), (158, 218, 229),
           (57, 59, 121), (99, 121, 57), (140, 109, 49), (132, 60, 57), (123, 65, 115))
BACKGROUND_RGB = (235, 235, 235)
NODATA_RGB = (255, 255, 255)


# -- options and running ------------------------------------------------------------------------
def parser(description: str, *, default_out: str) -> argparse.ArgumentParser:
    """The options every recipe takes; recipes add their own."""
    p = argparse.ArgumentParser(description=description,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=Path(default_out),
                   help=f"output folder, written whole or not at all (default {default_out})")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    p.add_argument("--workers", type=int, default=2,
                   help="worker processes of the local Dask cluster (default 2)")
    p.add_argument("--chunk", type=int, default=512,
                   help="tile edge of the lazily loaded cubes, pixels (default 512)")
    return p


def run(recipe: Callable[[argparse.Namespace], None], args: argparse.Namespace) -> int:
    """Run a recipe; geoquant's errors end in one line on stderr and exit status 2."""
    from geoquant.errors import GeoquantError

    if args.workers is not None and args.workers < 1:
        print("error: --workers must be at least 1", file=sys.stderr)
        return 2
    try:
        recipe(args)
    except GeoquantError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


@dataclass
class Steps:
    """Numbered progress lines with elapsed seconds."""

    total: int
    done: int = 0
    started: float = field(default_factory=time.perf_counter)

    def step(self, text: str) -> None:
        self.done += 1
        print(f"[{self.done}/{self.total}] {text}  ({self.elapsed():.1f} s)", flush=True)

    def elapsed(self) -> float:
        return time.perf_counter() - self.started


@contextlib.contextmanager
def services(data: Path, *, cluster: str = "local",
             workers: int | None = None) -> Iterator[tuple[str, Any]]:
    """A STAC API on loopback over ``data``, and a Dask cluster; yields ``(url, handle)``.

    The cluster is :func:`geoquant.cluster` of the definition ``cluster`` names (``local``:
    ``workers`` single-threaded worker processes on this machine, 2 by default). Its client
    is dask's default scheduler inside the ``with`` block, so everything the recipes measure
    there runs on its workers.
    """
    import geoquant as gq
    from geoquant.cluster import cluster as start_cluster
    from geoquant.cluster import load_definition

    definition = load_definition(cluster)
    sizes = ({"workers": workers or 2, "threads": 1} if definition.kind == "local"
             else {"workers": workers})
    work = Path(tempfile.mkdtemp(prefix="geoquant-recipe-"))
    try:
        gq.sources.build_catalog(data, work / "catalog")
        with gq.sources.CatalogServer(work / "catalog") as api, \
                start_cluster(definition, **sizes) as handle:
            yield api.url, handle
    finally:
        shutil.rmtree(work, ignore_errors=True)


def add_data_options(p: argparse.ArgumentParser) -> None:
    """``--data`` (the rasters to catalog) and ``--cluster`` for the recipes on real rasters."""
    from geoquant.cluster import add_cluster_option

    p.add_argument("--data", type=Path, default=DEMO_DATA,
                   help="folder of rasters to catalog, <collection>/<item>/<asset>.tif "
                        "(default: the packaged demo data)")
    add_cluster_option(p, default="local")


def single(cube: Any) -> Any:
    """The one ``(y, x)`` layer of a one-date, one-band cube, without time and band labels."""
    return cube.isel(time=0, band=0, drop=True).drop_vars("item_ids", errors="ignore")


def on_grid(raster: Any, like: Any) -> Any:
    """``raster`` with the ``y``/``x`` coordinates of ``like`` when both lie on one grid.

    Layers loaded separately onto one grid can carry pixel-centre coordinates that differ in
    the last bits; xarray would then align them by an inner join and drop rows. This checks
    that the grids agree (same shape, transforms within a millionth of a pixel) and makes
    the coordinates identical.
    """
    from geoquant.errors import GridMismatchError

    a, b = raster.rio.transform(), like.rio.transform()
    same_shape = (raster.sizes["y"], raster.sizes["x"]) == (like.sizes["y"], like.sizes["x"])
    close = all(abs(p - q) <= 1e-6 * abs(b.a) for p, q in zip(a[:6], b[:6], strict=True))
    if not (same_shape and close):
        raise GridMismatchError(f"{raster.name or 'a layer'} is not on the grid of "
                                f"{like.name or 'the cube'}: load both with the same crs=, "
                                "resolution= and bbox=")
    return raster.assign_coords(y=like.y.values, x=like.x.values)


def pixel_area_m2(raster: Any) -> float:
    res_x, res_y = raster.rio.resolution()
    return abs(res_x * res_y)


def least_squares(x: Sequence[float], y: Sequence[float]) -> dict[str, float]:
    """Slope and intercept of the least-squares line through (x, y), with the slope's
    standard error (NaN with fewer than three points)."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if len(x) < 2 or np.ptp(x) == 0:
        return {"slope": float("nan"), "intercept": float("nan"), "slope_se": float("nan"),
                "n": int(len(x))}
    slope, intercept = np.polyfit(x, y, 1)
    se = float("nan")
    if len(x) > 2:
        residual = y - (slope * x + intercept)
        se = float(np.sqrt(residual @ residual / (len(x) - 2) / ((x - x.mean()) ** 2).sum()))
    return {"slope": float(slope), "intercept": float(intercept), "slope_se": se,
            "n": int(len(x))}


# -- pictures -----------------------------------------------------------------------------------
def font(size: int = 13) -> Any:
    """The quick-looks' font: DejaVu Sans where installed (it draws "m²"), else Pillow's."""
    from geoquant.sinks._png import font as quicklook_font

    return quicklook_font(size)


def plain(text: str) -> str:
    """Text the font can draw: "m²" and "≥" where it has them, else "m2" and ">="."""
    from geoquant.sinks._png import fit_text, has_glyph

    face = font(13)
    if not has_glyph(face, "≥"):
        text = text.replace("≥", ">=")
    return fit_text(text, face)


def _hatch_nodata(rgb: np.ndarray, nodata: Any) -> np.ndarray:
    """No data hatched (named in every legend), never white like the page's margin."""
    from geoquant.sinks._png import hatch

    nodata = np.asarray(nodata, bool)
    return hatch(rgb, nodata) if nodata.any() else rgb


def grey(values: np.ndarray) -> np.ndarray:
    """``(y, x, 3)`` uint8 greyscale, stretched from the 2nd to the 98th percentile; NaN
    hatched."""
    values = np.asarray(values, np.float64)
    finite = np.isfinite(values)
    rgb = np.empty((*values.shape, 3), np.uint8)
    rgb[...] = NODATA_RGB
    if finite.any():
        low, high = np.percentile(values[finite], (2, 98))
        scaled = np.clip((values - low) / (high - low if high > low else 1.0), 0, 1)
        rgb[finite] = (scaled[finite] * 255).astype(np.uint8)[:, None]
    return _hatch_nodata(rgb, ~finite)


def paint(codes: np.ndarray, colours: dict[int, tuple[int, int, int]], *,
          base: np.ndarray | None = None, nodata: np.ndarray | None = None) -> np.ndarray:
    """``(y, x, 3)`` uint8 with each code in ``colours`` painted; the rest ``base`` (or light
    grey); ``nodata`` hatched."""
    codes = np.asarray(codes)
    rgb = np.empty((*codes.shape, 3), np.uint8)
    rgb[...] = BACKGROUND_RGB if base is None else base
    for code, colour in colours.items():
        rgb[codes == code] = colour
    return _hatch_nodata(rgb, nodata) if nodata is not None else rgb


def class_colours(codes: Sequence[int]) -> dict[int, tuple[int, int, int]]:
    """A distinct colour per class code, in the order given."""
    return {int(c): PALETTE[k % len(PALETTE)] for k, c in enumerate(codes)}


def objects_rgb(labels: np.ndarray, keep: np.ndarray, *, small=(150, 150, 150),
                nodata: np.ndarray | None = None) -> np.ndarray:
    """Objects coloured by id (``keep[id]`` True), other objects ``small``, background grey."""
    labels = np.asarray(labels)
    rgb = np.empty((*labels.shape, 3), np.uint8)
    rgb[...] = BACKGROUND_RGB
    palette = np.asarray(PALETTE, np.uint8)
    hit = labels > 0
    rgb[hit] = np.where(keep[labels[hit]][:, None], palette[(labels[hit] - 1) % len(palette)],
                        small)
    return _hatch_nodata(rgb, nodata) if nodata is not None else rgb


def panel(title: str, rgb: np.ndarray, *, height: int = 300) -> Any:
    """A titled image, upscaled (nearest) to ``height`` pixels."""
    from PIL import Image, ImageDraw

    img = Image.fromarray(np.ascontiguousarray(rgb))
    scale = height / img.height
    img = img.resize((max(1, round(img.width * scale)), height), Image.Resampling.NEAREST)
    canvas = Image.new("RGB", (max(img.width, 8 * len(title)), height + 22), "white")
    canvas.paste(img, (0, 22))
    ImageDraw.Draw(canvas).text((2, 3), plain(title), fill="black", font=font(13))
    return canvas


def legend(entries: Sequence[tuple[str, tuple[int, int, int]]], *, width: int = 260,
           nodata: bool = True) -> Any:
    """Colour swatches with their meaning; with ``nodata``, the hatching of no data last."""
    from PIL import Image, ImageDraw

    from geoquant.sinks._png import HATCHED, NO_DATA, hatch

    entries = [*entries, (NO_DATA, HATCHED)] if nodata else list(entries)
    width = max(width, 30 + int(max(font(12).getlength(plain(t)) for t, _ in entries)))
    image = Image.new("RGB", (width, 20 * len(entries) + 6), "white")
    pen = ImageDraw.Draw(image)
    for k, (text, colour) in enumerate(entries):
        y = 4 + 20 * k
        if colour == HATCHED:
            image.paste(Image.fromarray(hatch(np.zeros((15, 15, 3), np.uint8),
                                              np.ones((15, 15), bool), period=5)), (4, y))
            pen.rectangle((4, y, 18, y + 14), outline=(90, 90, 90))
        else:
            pen.rectangle((4, y, 18, y + 14), fill=colour, outline=(90, 90, 90))
        pen.text((24, y), plain(text), fill="black", font=font(12))
    return image


def line_chart(series: Sequence[tuple[str, Sequence[float], Sequence[float],
                                      tuple[int, int, int]]], *, title: str, y_label: str,
               fit: tuple[float, float] | None = None, reference: float | None = None,
               size: tuple[int, int] = (420, 300)) -> Any:
    """Points over time (decimal years) with an optional fitted line and reference level."""
    from PIL import Image, ImageDraw

    width, height = size
    left, right, top, bottom = 58, 12, 26, 40
    image = Image.new("RGB", size, "white")
    pen = ImageDraw.Draw(image)
    small = font(11)
    xs = np.concatenate([np.asarray(s[1], float) for s in series])
    ys = np.concatenate([np.asarray(s[2], float) for s in series])
    levels = ys[np.isfinite(ys)]
    if reference is not None:
        levels = np.append(levels, reference)
    if levels.size == 0:
        levels = np.array([0.0, 1.0])
    x0, x1 = float(np.floor(xs.min())), float(np.ceil(xs.max()))
    x1 = x1 if x1 > x0 else x0 + 1
    y0, y1 = float(levels.min()), float(levels.max())
    pad = 0.1 * (y1 - y0) if y1 > y0 else max(abs(y0) * 0.1, 1.0)
    y0, y1 = y0 - pad, y1 + pad

    def at(x: float, y: float) -> tuple[float, float]:
        return (left + (x - x0) / (x1 - x0) * (width - left - right),
                top + (y1 - y) / (y1 - y0) * (height - top - bottom))

    pen.text((left, 4), plain(title), fill="black", font=font(12))
    pen.rectangle((left, top, width - right, height - bottom), outline=(120, 120, 120))
    for year in range(int(x0), int(x1) + 1):
        px, _ = at(year, y0)
        pen.line((px, height - bottom, px, height - bottom + 4), fill=(120, 120, 120))
        pen.text((px - 14, height - bottom + 6), str(year), fill="black", font=small)
    for value in np.linspace(y0 + pad, y1 - pad, 3):
        _, py = at(x0, value)
        pen.line((left - 4, py, left, py), fill=(120, 120, 120))
        pen.text((2, py - 6), f"{value:.4g}", fill="black", font=small)
    pen.text((left, height - 16), plain(y_label), fill=(80, 80, 80), font=small)
    if reference is not None:
        (ax, ay), (bx, _) = at(x0, reference), at(x1, reference)
        pen.line((ax, ay, bx, ay), fill=(44, 160, 44), width=1)
        pen.text((bx - 120, ay - 14), "land-cover reference", fill=(44, 120, 44), font=small)
    if fit is not None and all(np.isfinite(fit)):
        slope, intercept = fit
        a, b = at(x0, slope * x0 + intercept), at(x1, slope * x1 + intercept)
        pen.line((*a, *b), fill=(214, 39, 40), width=2)
    for _, sx, sy, colour in series:
        for x, y in zip(sx, sy, strict=True):
            if np.isfinite(y):
                px, py = at(x, y)
                pen.ellipse((px - 3, py - 3, px + 3, py + 3), fill=colour)
    return image


def bar_chart(bars: Sequence[tuple[str, float, tuple[int, int, int]]], *, title: str,
              unit: str, width: int = 420) -> Any:
    """Horizontal bars (negative values to the left of a zero line) with their labels."""
    from PIL import Image, ImageDraw

    row, top, label_w = 18, 24, 120
    height = top + row * len(bars) + 8
    image = Image.new("RGB", (width, height), "white")
    pen = ImageDraw.Draw(image)
    small = font(11)
    pen.text((4, 4), plain(title), fill="black", font=font(12))
    values = np.array([v for _, v, _ in bars], float) if bars else np.zeros(1)
    low, high = min(0.0, float(values.min())), max(0.0, float(values.max()))
    span = (high - low) or 1.0
    usable = width - label_w - 70
    zero = label_w + (0 - low) / span * usable
    for k, (text, value, colour) in enumerate(bars):
        y = top + row * k
        pen.text((4, y + 2), plain(text), fill="black", font=small)
        end = label_w + (value - low) / span * usable
        pen.rectangle((min(zero, end), y + 2, max(zero, end), y + row - 3), fill=colour)
        pen.text((max(zero, end) + 4, y + 2), plain(f"{value:,.1f} {unit}"), fill="black",
                 font=small)
    pen.line((zero, top, zero, height - 6), fill=(90, 90, 90))
    return image


def sheet(path: Path, rows: Sequence[Sequence[Any]], caption: Sequence[str]) -> None:
    """Rows of images (panels, charts, legends) above caption lines, saved as a PNG."""
    from PIL import Image, ImageDraw

    gap = 10
    widths = [sum(im.width for im in r) + gap * (len(r) - 1) for r in rows]
    heights = [max(im.height for im in r) for r in rows]
    text = font(13)
    width = max([*widths, 480]) + 2 * gap
    from geoquant.sinks._png import wrap

    caption = [part for line in caption for part in wrap(plain(line), text, width - 2 * gap)]
    height = sum(heights) + gap * (len(rows) + 1) + 18 * len(caption) + gap
    out = Image.new("RGB", (width, height), "white")
    y = gap
    for images, h in zip(rows, heights, strict=True):
        x = gap
        for im in images:
            out.paste(im, (x, y))
            x += im.width + gap
        y += h + gap
    pen = ImageDraw.Draw(out)
    for line in caption:
        pen.text((gap, y), plain(line), fill="black", font=text)
        y += 18
    out.save(path, format="PNG")
