"""The ``geoquant`` command: thin over the library, with heavy imports inside each command."""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from geoquant import __version__
from geoquant.cluster import add_cluster_option, cluster_from_args
from geoquant.errors import GeoquantError, quote


def _cmd_demo(args: argparse.Namespace) -> int:
    from geoquant.demo import run_demo

    run_demo(args.out, overwrite=args.overwrite, workers=args.workers, cluster=args.cluster)
    return 0


def _cmd_catalog_build(args: argparse.Namespace) -> int:
    from geoquant.sources import build_catalog

    written = build_catalog(args.root, args.out)
    collections = sum(path.name == "collection.json" for path in written)
    print(f"wrote {collections} collections to {args.out}")
    return 0


def _cmd_catalog_serve(args: argparse.Namespace) -> int:
    import time

    from geoquant.sources import CatalogServer

    # SIGTERM (kill, systemd, a test's terminate()) raises Terminated (main's handler), Ctrl-C
    # KeyboardInterrupt: leaving the block stops the server, and main exits 143 or 130 as
    # docs/operations.md says
    with CatalogServer(args.folder, port=args.port) as server:
        print(f"STAC API on {server.url} (Ctrl-C stops it)", flush=True)
        while server.running:
            time.sleep(0.5)
    return 0


def _cmd_search(args: argparse.Namespace) -> int:
    from geoquant.sources import search

    items = search(args.catalog, collections=args.collections, bbox=args.bbox,
                   region=args.region, datetime=args.datetime, query=args.query,
                   max_items=args.max_items)
    for item in items:
        print(item["id"], item["properties"].get("datetime"), item.get("collection"))
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    if args.legend is not None:
        return _cmd_train_classifier(args)
    if args.labels is None or args.product is None or len(args.labels) != 1:
        from geoquant.errors import InvalidOptionError

        raise InvalidOptionError("train needs --legend (image/mask pairs or scenes with a "
                                 "label raster: the pixel classifier) or one --labels raster "
                                 "with --product (the ConvNeXt-UNet)")
    args.labels = args.labels[0]
    args.checkpoint_every = args.checkpoint_every or 100
    from geoquant.segment import open_training_image, train

    images = [open_training_image(path) for path in args.images]
    labels = open_training_image(args.labels, labels=True)
    report = train(images, labels, product=args.product, size=args.size, steps=args.steps,
                   crop=args.crop, batch_size=args.batch_size,
                   learning_rate=args.learning_rate, holdout=args.holdout, seed=args.seed,
                   checkpoint=args.out, checkpoint_every=args.checkpoint_every,
                   init=args.init, progress=not args.quiet)
    print(report.summary())
    return 0


def _cmd_train_classifier(args: argparse.Namespace) -> int:
    from geoquant.segment._image_features import radii_from_text
    from geoquant.segment._train_command import train_from_files

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    model = train_from_files(
        args.images, legend=args.legend, out=args.out, labels=args.labels or (),
        bands=args.bands.split(",") if args.bands else None, halves=args.halves,
        test=args.test or (), refit=args.refit, radii_px=radii_from_text(args.context),
        pixels=args.pixels, rounds=args.rounds, seed=args.seed,
        checkpoint_every=args.checkpoint_every or 25, strict=args.strict,
        say=None if args.quiet else say)
    held = model.report.get("held_out")
    if held:
        print(f"held out {', '.join(model.report['test_groups'])}: accuracy "
              f"{held['accuracy']}; IoU " + ", ".join(
                  f"{k} {v}" for k, v in held["iou"].items()))
    print(f"classes: {', '.join(model.classes)}; bands: {', '.join(model.bands)}; "
          f"{model.report['seconds']} s")
    print(f"model: {args.out} (geoquant ask --segmenter {args.out} ...)")
    return 0


def _cmd_ask(args: argparse.Namespace) -> int:
    from geoquant.reason import ask

    say = None if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    source = args.source[0] if len(args.source) == 1 else args.source
    with _cluster(args):
        answer = ask(args.question, source=source, bbox=args.bbox, region=args.region,
                     datetime=args.datetime, product=args.product, segmenter=args.segmenter,
                     sar=args.sar, planner=args.planner, out=args.out,
                     overwrite=args.overwrite, gsd=args.gsd, landcover=args.landcover,
                     say=say)
    print(answer.to_json() if args.json else answer.summary())
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from geoquant.reason import evaluate

    say = None if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    with _cluster(args):
        report = evaluate(args.questions, catalog=args.catalog, use=args.use,
                          planner=args.planner, images=args.images, say=say,
                          segmenter=args.segmenter, product=args.product)
    if args.report:
        from geoquant.sinks import write_json

        write_json(report.to_dict(), args.report, overwrite=True)
    print(report.table())
    return 0


def _class_mask(raster, codes: list[int], what: str):
    """Pixels of ``raster`` holding one of ``codes``; its nodata stays excluded (NaN)."""
    from geoquant.errors import InvalidOptionError

    if not codes:
        raise InvalidOptionError(f"{what}: pass at least one class code, for example 2")
    nodata = raster.rio.nodata
    has_nodata = nodata is not None and not (isinstance(nodata, float) and math.isnan(nodata))
    if has_nodata and nodata in codes:
        # Its pixels are excluded, so the class would be surveyed as absent.
        raise InvalidOptionError(
            f"{what} {nodata:g} is the raster's nodata value, whose pixels are left out: "
            "choose other codes, or give the raster the right nodata value "
            "(gdal_edit.py -a_nodata VALUE, or -unsetnodata)")
    mask = raster.isin(codes)
    valid = None
    if raster.dtype.kind == "f":  # NaN is no data (open_raster turns nodata into NaN)
        valid = raster.notnull()
    if has_nodata:
        valid = raster != nodata if valid is None else valid & (raster != nodata)
    if valid is not None:
        mask = mask.where(valid)  # NaN there: excluded
    # The mask's 0/1 values are not codes: the raster's nodata value must not carry over.
    mask.attrs, mask.encoding = {}, {}
    return mask.rio.write_crs(raster.rio.crs)


def _open_classes(source: str, chunk: int):
    """A 2-D class raster: ``synthetic:SIDE[:SEED]`` or a GeoTIFF/Zarr path."""
    import geoquant as gq
    from geoquant.errors import InvalidOptionError

    if not isinstance(chunk, int) or chunk < 16:
        raise InvalidOptionError(f"--chunk {chunk} is no tile edge: give a whole number of "
                                 "pixels of at least 16 (2048 is a good default)")
    if source.startswith("synthetic:"):
        parts = source.split(":")[1:]
        try:
            side, seed = int(parts[0]), int(parts[1]) if len(parts) > 1 else 0
        except (ValueError, IndexError):
            raise InvalidOptionError(
                f"{quote(source)}: write synthetic:SIDE or synthetic:SIDE:SEED, for "
                "example synthetic:100000 (a 100,000 x 100,000 px land-cover region)") from None
        return gq.synth.landcover((side, side), seed=seed, chunks=chunk)
    raster = gq.sources.open_raster(source, chunks=chunk)
    if "band" in raster.dims:
        if raster.sizes["band"] != 1:
            raise InvalidOptionError(f"{source} has {raster.sizes['band']} bands; pass a "
                                     "single-band class raster")
        raster = raster.isel(band=0, drop=True)
    return raster


def _cmd_survey(args: argparse.Namespace) -> int:
    import geoquant as gq

    classes = _open_classes(args.source, args.chunk)
    mask = _class_mask(classes, args.codes, "--codes")
    near = _class_mask(classes, args.near_codes, "--near-codes") if args.near_codes else None
    say = None if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    with _cluster(args, workers=args.workers) as handle:
        result = gq.ops.survey(mask, near=near, within_m=args.within_m,
                               min_area_m2=args.min_area_m2, connectivity=args.connectivity,
                               tiles_per_batch=args.tiles_per_batch, checkpoint=args.checkpoint,
                               say=say, client=handle.client if handle is not None else None)
    if not result.valid_area_m2:
        from geoquant.errors import RegionError

        raise RegionError(f"{args.source} has no valid pixel (all no data): nothing to survey; "
                          "check the raster's nodata value or choose another one")
    if args.json:
        from geoquant.sinks import to_jsonable

        print(json.dumps(to_jsonable(result.to_dict()), indent=1))
        return 0
    print(f"objects: {result.objects:,} ({result.objects_min_area:,} of at least "
          f"{result.min_area_m2:g} m²)")
    print(f"area: {result.area_m2 / 1e6:,.3f} km² ({result.share_percent:.2f} % of "
          f"{result.valid_area_m2 / 1e6:,.1f} km² valid)")
    if near is not None:
        print(f"within {result.within_m:g} m of the --near-codes classes: "
              f"{result.objects_near:,} objects, {result.area_near_m2 / 1e6:,.3f} km²")
    print(f"{result.pixels / 1e9:.2f} Gpx in {result.batches} batches of {result.tiles:,} "
          f"tiles ({result.resumed_batches} resumed), {result.elapsed_s:.1f} s")
    return 0


@contextlib.contextmanager
def _cluster(args: argparse.Namespace, **options: Any) -> Iterator[Any]:
    """:func:`~geoquant.cluster.cluster_from_args`, stopped by Ctrl-C with one line: its
    worker processes ignore Ctrl-C (this process stops them) and its logging is silenced."""
    with _workers_ignore_ctrl_c() as started, cluster_from_args(args, **options) as handle:
        started()
        try:
            yield handle
        finally:
            # one line on Ctrl-C, not the workers' tracebacks; no "still alive after 4 s,
            # killing" from a slow shutdown under load after the work is done
            quiet_cluster(handle)


@contextlib.contextmanager
def _workers_ignore_ctrl_c() -> Iterator[Callable[[], None]]:
    """Ignore Ctrl-C (SIGINT) while a cluster starts, so that its worker processes inherit
    "ignore" and only this process handles Ctrl-C (they are stopped by the cluster's close);
    calling the yielded function, or leaving the block, restores the handler."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield lambda: None
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)

    def restore() -> None:
        signal.signal(signal.SIGINT, previous)

    try:
        yield restore
    finally:
        restore()


def quiet_cluster(handle: Any) -> None:
    """Silence the Dask cluster's logging here and on its workers: a cluster closed after an
    interruption (or at the end of a run) logs a traceback per cancelled transfer and "still
    alive, killing" per worker, none of which is the user's to act on."""
    import logging

    for name in _NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL)
    client = getattr(handle, "client", None)
    if client is not None:
        try:
            client.run(_quiet_logging, wait=False)
        except Exception:  # noqa: BLE001 - the cluster may already be gone
            pass


#: Loggers a closing cluster writes to (distributed sets some children's levels itself).
_NOISY_LOGGERS = ("distributed", "distributed.nanny", "distributed.worker", "distributed.core",
                  "distributed.scheduler", "distributed.client", "tornado", "asyncio")


async def _quiet_logging() -> None:
    """(A coroutine: ``Client.run(..., wait=False)`` takes only those.)"""
    import logging

    for name in _NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _json(text: str) -> object:
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise argparse.ArgumentTypeError(f"not JSON ({err}): {quote(text)}") from err


PLANNER_HELP = ("auto (default): the rules, and where they cannot read the question the "
                "LLM endpoint if one is set (GEOQUANT_LLM_URL and GEOQUANT_LLM_MODEL, or [llm] "
                "in the config file); rules: offline only; llm: the endpoint only")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="geoquant",
        description="Exact quantitative answers about large areas of the Earth from satellite "
                    "imagery.")
    parser.add_argument("--version", action="version", version=f"geoquant {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="run the end-to-end demo on the embedded data")
    demo.add_argument("--out", default="geoquant-demo-out", help="output folder")
    demo.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    demo.add_argument("--workers", type=int, default=None,
                      help="Dask worker processes (default: 2 on a local cluster, else the "
                           "definition's)")
    add_cluster_option(demo, default="local")
    demo.set_defaults(run=_cmd_demo)

    catalog = commands.add_parser("catalog", help="build or serve a local STAC catalog")
    catalog_cmds = catalog.add_subparsers(dest="catalog_command", required=True)
    build = catalog_cmds.add_parser("build", help="write STAC JSON for a folder of rasters")
    build.add_argument("root", help="folder of <collection>/<item>/<asset>.tif")
    build.add_argument("out", help="folder to write collection and item JSON into")
    build.set_defaults(run=_cmd_catalog_build)
    serve = catalog_cmds.add_parser("serve", help="serve a catalog folder as a STAC API")
    serve.add_argument("folder", help="folder written by 'geoquant catalog build'")
    serve.add_argument("--port", type=int, default=None, help="TCP port (default: a free one)")
    serve.set_defaults(run=_cmd_catalog_serve)

    search = commands.add_parser("search", help="search a STAC API and list the items")
    search.add_argument("catalog", help="STAC API URL, e.g. http://127.0.0.1:8080 (geoquant "
                                        "catalog serve prints one)")
    search.add_argument("--collections", nargs="+", default=None, metavar="ID",
                        help="collection ids to search (default: all)")
    search.add_argument("--bbox", nargs=4, type=float, default=None,
                        metavar=("WEST", "SOUTH", "EAST", "NORTH"),
                        help="region as lon/lat degrees (WGS84)")
    search.add_argument("--region", default=None, help="GeoJSON file of the region")
    search.add_argument("--datetime", default=None, help="e.g. 2021-06-01/2021-08-31")
    search.add_argument("--query", type=_json, default=None,
                        help='property filters as JSON, e.g. \'{"eo:cloud_cover": {"lt": 20}}\'')
    search.add_argument("--max-items", type=int, default=None,
                        help="stop after this many items (default: all that match)")
    search.set_defaults(run=_cmd_search)

    train = commands.add_parser(
        "train", help="train a segmenter: a pixel classifier on image/mask pairs or scenes "
                      "(--legend), or a ConvNeXt-UNet on scenes and a land-cover raster",
        description="With --legend: train a pixel classifier (LightGBM over bands, contrasts "
                    "and context windows) on folders of image/mask pairs or on scenes with a "
                    "label raster on another grid, score held-out groups (--test) and write a "
                    "model for ask/eval --segmenter. With --product: train a ConvNeXt-UNet on "
                    "scenes of one grid labelled by a land-cover raster.")
    train.add_argument("images", nargs="+", metavar="IMAGE",
                       help="a GeoTIFF/Zarr (band, y, x), or a folder of single-band GeoTIFFs "
                            "named by band (B01.tif ... B12.tif)")
    train.add_argument("--labels", nargs="+", default=None,
                       help="label raster(s) of codes: with --product, on the images' grid (the "
                            "ConvNeXt-UNet); with --legend, on any overlapping grid, reprojected "
                            "onto each scene (nearest, no data kept)")
    train.add_argument("--product", default=None,
                       help="code table of the labels for the ConvNeXt-UNet: slovenia-lulc, "
                            "esa-worldcover, io-lulc, geoquant-synth")
    train.add_argument("--legend", default=None,
                       help="train the pixel classifier: codes or colours to class words, "
                            "'1=water,0=land,-1=nodata' or '#3C1098=building,#9B9B9B=unlabeled' "
                            "or a JSON file; IMAGE is then a folder of image/mask pairs "
                            "(images/ beside masks/, or tile folders of them), or with "
                            "--labels a scene (a GeoTIFF, or band files joined by '+')")
    train.add_argument("--bands", default=None,
                       help="band names of the images, comma-separated (default: the files' "
                            "band descriptions; 8-bit RGB photographs are red,green,blue)")
    train.add_argument("--test", nargs="+", default=None, metavar="GROUP",
                       help="groups held out and scored: tile folders, events (the first '_' "
                            "part of chip names), scenes, or north/south halves")
    train.add_argument("--halves", choices=("north-south", "west-east"), default=None,
                       help="cut each scene in two halves, each a group (with --labels)")
    train.add_argument("--refit", action="store_true",
                       help="after scoring the held-out groups, train the written model on all")
    train.add_argument("--context", default="2,8",
                       help="context window radii in pixels, comma-separated (pixel classifier)")
    train.add_argument("--pixels", type=int, default=None,
                       help="training pixels drawn (pixel classifier; default 300000)")
    train.add_argument("--rounds", type=int, default=None,
                       help="boosting rounds (pixel classifier; default 100)")
    train.add_argument("--strict", action="store_true",
                       help="refuse pairs that are all no data instead of skipping them")
    train.add_argument("--out", required=True, help="checkpoint file to write (model.pt)")
    train.add_argument("--size", choices=("small", "base"), default=None,
                       help="network size (default: small, or the --init checkpoint's)")
    train.add_argument("--steps", type=int, default=300, help="optimiser steps")
    train.add_argument("--crop", type=int, default=64, help="crop side, a multiple of 32")
    train.add_argument("--batch-size", type=int, default=8, help="crops per step")
    train.add_argument("--learning-rate", type=float, default=1e-3, help="peak Adam rate")
    train.add_argument("--holdout", type=float, default=0.25,
                       help="fraction of 16-px blocks held out for evaluation")
    train.add_argument("--checkpoint-every", type=int, default=None,
                       help="steps between checkpoints (default 100), or boosting rounds for "
                            "the pixel classifier (default 25; a killed run resumes there)")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--init", default=None, help="checkpoint to fine-tune from")
    train.add_argument("--quiet", action="store_true", help="no progress output")
    train.set_defaults(run=_cmd_train)

    ask = commands.add_parser(
        "ask", help="answer a quantitative question about a region",
        description="Answer a question in plain words with a value, unit and range, the steps "
                    "behind it and the masks as evidence. Examples: \"What share of the area is "
                    "forest?\", \"How many water bodies larger than 1 ha are there?\"")
    ask.add_argument("question", help="the question, in quotes (or a plan as JSON)")
    ask.add_argument("--source", nargs="+", required=True,
                     help="a STAC collection URL (http://host/collections/ID) or raster "
                          "file(s) (GeoTIFF/Zarr; several = time steps in order)")
    ask.add_argument("--bbox", nargs=4, type=float, default=None,
                     metavar=("WEST", "SOUTH", "EAST", "NORTH"),
                     help="region of a STAC source as lon/lat degrees (WGS84)")
    ask.add_argument("--region", default=None, help="GeoJSON file of the region")
    ask.add_argument("--datetime", default=None,
                     help="date range, e.g. 2015-07-01/2015-09-30 (change questions compare "
                          "its first and last date)")
    ask.add_argument("--product", default=None,
                     help="code table of a land-cover raster (esa-worldcover, io-lulc, "
                          "dynamic-world, deepglobe, earthvqa, slovenia-lulc, geoquant-synth), "
                          "'codes', or a JSON legend of your own such as "
                          "'{\"1\": \"water\", \"2\": \"forest\"}'; its legend's class words "
                          "are accepted in the question")
    ask.add_argument("--gsd", type=float, default=None,
                     help="metres per pixel of an image without georeferencing (PNG, JPEG, "
                          "GeoTIFF without CRS); default: the '(GSD: 0.5m)' in the question")
    ask.add_argument("--segmenter", default=None,
                     help="segment imagery with this: sar-water (radar backscatter in dB; a "
                          "single-band raster is read as VV), spectral, spectral-ndwi, auto, "
                          "or a file: a classifier (geoquant segment.train_classifier), a "
                          "STAC MLM item, or a model checkpoint")
    ask.add_argument("--landcover", default=None, metavar="auto|URL",
                     help="answer from a land-cover collection beside the imagery (auto: any "
                          "in the same STAC API) when it knows every class of the question")
    ask.add_argument("--sar", default=None,
                     help="a Sentinel-1 source (collection URL or raster) to answer from where "
                          "the optical view is cloudy")
    ask.add_argument("--planner", choices=("auto", "rules", "llm"), default="auto",
                     help=PLANNER_HELP)
    ask.add_argument("--out", default=None,
                     help="evidence Zarr store (*.zarr); ANSWER.json and ANSWER.png go beside")
    ask.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    ask.add_argument("--json", action="store_true", help="print the answer as JSON")
    ask.add_argument("--quiet", action="store_true", help="no progress lines")
    add_cluster_option(ask)
    ask.set_defaults(run=_cmd_ask)

    evaluate = commands.add_parser(
        "eval", help="score answers to a SQuID-format question file",
        description="Answer every question of a JSON-lines file and report accuracy by type "
                    "and tier (SQuID's rule) and, from imagery, the evidence masks' IoU.")
    evaluate.add_argument("questions", help="questions: JSON lines, a JSON list, or SQuID's "
                                            "parquet")
    evaluate.add_argument("--images", default=None,
                          help="folder of the records' image files (masks or imagery); "
                               "default: beside the questions file")
    evaluate.add_argument("--catalog", default=None,
                          help="STAC API URL (default: the embedded demo data on loopback)")
    evaluate.add_argument("--use", choices=("labels", "imagery"), default="labels",
                          help="answer from reference labels or with geoquant's segmenters")
    evaluate.add_argument("--segmenter", default=None,
                          help="with --use imagery: segment with this (sar-water, spectral, "
                               "spectral-ndwi, or a file: a classifier, a STAC MLM item or a "
                               "model checkpoint) instead of the default rules")
    evaluate.add_argument("--product", default=None,
                          help="code table of the records that name none: esa-worldcover, "
                               "io-lulc, dynamic-world, deepglobe, earthvqa, slovenia-lulc, "
                               "'codes', or a JSON legend such as "
                               "'{\"0\": \"land\", \"1\": \"water\"}'")
    evaluate.add_argument("--planner", choices=("auto", "rules", "llm"), default="auto",
                          help=PLANNER_HELP)
    evaluate.add_argument("--report", default=None, help="also write the scores as JSON")
    evaluate.add_argument("--quiet", action="store_true", help="no progress lines")
    add_cluster_option(evaluate)
    evaluate.set_defaults(run=_cmd_eval)

    survey = commands.add_parser(
        "survey", help="count and measure a class over a region of any size, in batches",
        description="Objects, area and proximity of a class over a region of any size, run in "
                    "bounded batches of tiles on a cluster, resumable with --checkpoint. "
                    "Example: geoquant survey synthetic:100000 --codes 6 --near-codes 1 7 "
                    "--within-m 500 --cluster local")
    survey.add_argument("source", help="class raster (GeoTIFF/COG/Zarr) or synthetic:SIDE[:SEED]")
    survey.add_argument("--codes", type=int, nargs="+", required=True,
                        help="class codes that make the objects")
    survey.add_argument("--near-codes", type=int, nargs="+", default=None,
                        help="class codes to measure proximity to (with --within-m)")
    survey.add_argument("--within-m", type=float, default=None, help="distance bound, m")
    survey.add_argument("--min-area-m2", type=float, default=0.0,
                        help="count objects at least this large, m² (10000 = 1 ha)")
    survey.add_argument("--connectivity", type=int, choices=(8, 4), default=8,
                        help="pixel connectivity of objects: 8 (diagonals join; default) or 4")
    survey.add_argument("--chunk", type=int, default=2048, help="tile edge, pixels")
    survey.add_argument("--tiles-per-batch", type=int, default=None,
                        help="tiles of one batch (default: one per worker thread, at "
                             "most 256, so each batch and the first progress line take "
                             "seconds)")
    survey.add_argument("--checkpoint", default=None,
                        help="folder keeping finished batches; run again to resume")
    survey.add_argument("--json", action="store_true", help="print the survey as JSON")
    survey.add_argument("--quiet", action="store_true", help="no progress lines")
    survey.add_argument("--workers", type=int, default=None,
                        help="worker processes of the cluster (default: the definition's)")
    add_cluster_option(survey, default="local")
    survey.set_defaults(run=_cmd_survey)

    from geoquant.monitor import add_commands as add_monitor_commands

    add_monitor_commands(commands)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM received (systemctl stop, a timeout, a container stop): handled like Ctrl-C, so
    every ``finally`` runs (locks released, partial outputs removed)."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``geoquant`` command; returns the exit status (130 after Ctrl-C,
    143 after SIGTERM)."""
    import signal
    import threading
    import warnings

    args = build_parser().parse_args(argv)
    # pyproj's note that an oblique-Mercator CRS (the Swiss EPSG:2056) drops a parameter in its
    # CF description: the CRS is kept as WKT, nothing is lost, and it is not the user's to fix
    warnings.filterwarnings("ignore", message="angle from rectified to skew grid")
    # rasterio's NotGeoreferencedWarning when a PNG/JPEG is read lazily: such an image opens
    # only with a pixel size (--gsd or the question's), which then georeferences it
    warnings.filterwarnings("ignore", message="Dataset has no geotransform")
    # NumPy's note on a tile or date with no valid pixel: excluded pixels are the design
    warnings.filterwarnings("ignore", message="All-NaN slice encountered")
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    shown = warnings.showwarning
    warnings.showwarning = _warning_line        # one line, never Python's source line
    try:
        from geoquant.sources import unreadable_assets_named

        with unreadable_assets_named():
            return args.run(args)
    except GeoquantError as err:
        print(f"geoquant: error: {err}", file=sys.stderr)
        return 2
    except TimeoutError as err:            # an OSError, but no disk's: a cluster that is slow
        print(f"geoquant: error: timed out{': ' + _one_line(err) if str(err) else ''} (the "
              "machine is busy or the Dask cluster did not answer in time); run again",
              file=sys.stderr)
        return 2
    except OSError as err:                  # the system refused: say what, where, and why
        if type(err).__name__ in _CLUSTER_FAILURES:     # distributed's CommClosedError is one
            return _cluster_failed(err)
        from geoquant._os_errors import describe_os_error

        print(f"geoquant: error: {describe_os_error(err)}; nothing half-written is kept",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt as stop:
        what = "terminated (SIGTERM)" if isinstance(stop, Terminated) else "interrupted"
        print(f"geoquant: {what}; nothing half-written is kept, locks are released",
              file=sys.stderr)
        return 143 if isinstance(stop, Terminated) else 130
    except Exception as err:  # noqa: BLE001 - the cluster's and libraries' own failures
        kind = type(err).__name__
        if kind in _CLUSTER_FAILURES:
            return _cluster_failed(err)
        if os.environ.get("GEOQUANT_DEBUG"):
            raise
        print(f"geoquant: error: {kind}: {_one_line(err)} (unexpected: set GEOQUANT_DEBUG=1 "
              "for the traceback, and report it)", file=sys.stderr)
        return 1
    finally:
        warnings.showwarning = shown
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


#: distributed's failures that reach ``main`` outside a watched cluster block.
_CLUSTER_FAILURES = ("KilledWorker", "CommClosedError", "StreamClosedError")


def _cluster_failed(err: BaseException) -> int:
    kind = type(err).__name__
    if kind == "KilledWorker":
        what = ("a worker was killed each time it ran one task (often for memory: use smaller "
                "chunks or more memory per worker)")
    else:
        what = "the connection to the Dask scheduler closed (the scheduler was lost)"
    print(f"geoquant: error: the Dask cluster failed ({kind}: {_one_line(err)}): {what}; "
          "nothing half-written is kept; restart the cluster, or run without --cluster",
          file=sys.stderr)
    return 2


def _warning_line(message: Warning | str, category: type[Warning], filename: str,
                  lineno: int, file: Any = None, line: str | None = None) -> None:
    """Show a warning as ``geoquant: warning: ...`` on one line: what it says, not the file and
    source line it was raised from (with --quiet too: a warning is not progress)."""
    from geoquant._yaml import shorten

    with contextlib.suppress(OSError, ValueError):
        print(f"geoquant: warning: {shorten(' '.join(str(message).split()), 1000)}",
              file=file or sys.stderr, flush=True)


def _one_line(err: BaseException) -> str:
    from geoquant._yaml import shorten

    try:
        text = " ".join(str(err).split())
    except Exception:  # noqa: BLE001 - some exceptions cannot print themselves
        text = type(err).__name__
    return shorten(text, 300)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
