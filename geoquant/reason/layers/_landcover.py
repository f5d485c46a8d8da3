"""Land-cover products first: answer from a catalog's land-cover collection when it knows
every class a question names, and say which source decided.

A STAC API that serves imagery often serves a land-cover product too (ESA WorldCover, IO LULC,
Dynamic World). Its classes were made by a model trained on far more than one region, so for
the classes it knows it usually beats segmenting the imagery on the fly. With
``ask(..., landcover="auto")`` the API beside the imagery collection is searched for land-cover
collections (items whose assets carry ``classification:classes`` or ``file:values``) over the
region; the first whose legend holds every class of the plan answers. Change questions stay
with the imagery (a product's own dates need not be the question's), and so does a plan that
names a class no product knows: the answer's provenance says so (``decided_by``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from geoquant.errors import InvalidOptionError


def plan_classes(plan: Any) -> tuple[str, ...] | None:
    """The class words a plan's masks read; None when a mask reads a product code."""
    words = []
    for step in plan.steps:
        if step.op != "mask":
            continue
        if "class" not in step.args:
            return None
        words.append(str(step.args["class"]))
    return tuple(dict.fromkeys(words))


def _known(product: Any, word: str) -> bool:
    """Whether a product's legend holds the class a word means, or classes it covers
    ("wetland" over ESA WorldCover's herbaceous wetland and mangroves)."""
    from geoquant.errors import ClassNameError

    try:
        return bool(product.classes_for(word))
    except ClassNameError:
        return False


def choose_landcover(source: Any, plan: Any, landcover: Any, *, region: Any, bbox: Any,
                     change: bool) -> tuple[str | None, dict[str, Any]]:
    """The land-cover collection URL to answer from (or None) and the ``decided_by`` record.

    Parameters
    ----------
    source : str
        The imagery collection URL the question was asked of.
    landcover : {"auto", True} or str
        Search the same API, or try this collection URL.
    """
    from geoquant import sources
    from geoquant.reason.layers._source import _classified, _stac_product
    from geoquant.sources import profile_for

    if not isinstance(source, str) or "/collections/" not in source:
        raise InvalidOptionError("landcover= looks for land-cover collections beside a STAC "
                                 "imagery collection: give source='<api>/collections/<id>'")
    api, _, own = source.rstrip("/").rpartition("/collections/")
    imagery = {"source": source, "kind": "imagery"}
    if change:
        return None, {**imagery, "why": "a change question is answered from one source's "
                                        "own dates"}
    wanted = plan_classes(plan)
    if not wanted:
        return None, {**imagery, "why": "the question names product codes, not classes"}
    if landcover in ("auto", True):
        candidates = [c for c in _collection_ids(api) if c != own]
    elif isinstance(landcover, str):
        candidates = [landcover.rstrip("/").rpartition("/collections/")[2] or landcover]
    else:
        raise InvalidOptionError(f"landcover= takes 'auto' or a collection URL, not "
                                 f"{landcover!r}")
    lacking: list[str] = []
    for collection in candidates:
        items = sources.search(api, collections=[collection], bbox=bbox, region=region)
        if not items or not _classified(items, profile_for(items)):
            continue
        product = _stac_product(items[0])
        missing = [w for w in wanted if not _known(product, w)]
        if not missing:
            return f"{api}/collections/{collection}", {
                "source": f"{api}/collections/{collection}", "kind": "land-cover collection",
                "why": f"its legend holds {', '.join(wanted)}",
                "dates": sorted({str(i.get("properties", {}).get("datetime")) for i in items})}
        lacking.append(f"{collection} lacks {', '.join(missing)}")
    why = ("no land-cover collection over the region" if not lacking
           else "; ".join(lacking))
    return None, {**imagery, "why": why}


def _collection_ids(api: str) -> Sequence[str]:
    from pystac_client import Client

    from geoquant.errors import CatalogUnreachableError

    try:
        return [c.id for c in Client.open(api).get_collections()]
    except Exception as err:  # noqa: BLE001 - any failure to list: one line
        raise CatalogUnreachableError(f"cannot list the collections of {api}: {err}") from None


def with_decision(answer: Any, decided_by: Mapping[str, Any]) -> Any:
    """The answer with ``provenance["decided_by"]`` set."""
    import dataclasses

    return dataclasses.replace(answer, provenance={**answer.provenance,
                                                   "decided_by": dict(decided_by)})
