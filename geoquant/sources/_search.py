"""STAC search through pystac-client against any STAC API."""

from __future__ import annotations

import operator
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from geoquant.errors import CatalogUnreachableError, InvalidOptionError, NoItemsFoundError
from geoquant.sources._region import datetime_range, region_from

_OPERATORS = {
    "eq": operator.eq, "neq": operator.ne, "lt": operator.lt, "lte": operator.le,
    "gt": operator.gt, "gte": operator.ge,
}  # fmt: skip


def _check_query(query: Mapping[str, Mapping[str, Any]] | None) -> None:
    if query is not None and not isinstance(query, Mapping):
        raise InvalidOptionError(f"query must map properties to conditions, e.g. "
                                 f"{{'eo:cloud_cover': {{'lt': 20}}}}; got {query!r}")
    for prop, conditions in (query or {}).items():
        if not isinstance(conditions, Mapping):
            raise InvalidOptionError(f"query[{prop!r}] must map an operator to a value, "
                                     f"e.g. {{'lt': 20}}; got {conditions!r}")
        for op in conditions:
            if op not in _OPERATORS and op != "in":
                raise InvalidOptionError(f"unknown query operator {op!r} for {prop!r}; use one "
                                         f"of {sorted([*_OPERATORS, 'in'])}")


def matches_query(properties: Mapping[str, Any], query: Mapping[str, Mapping[str, Any]]) -> bool:
    """Whether item ``properties`` satisfy a STAC-API ``query``.

    A query maps a property to conditions, such as ``{"eo:cloud_cover": {"lt": 20}}``. An item
    that lacks a queried property does not match.
    """
    for prop, conditions in query.items():
        if prop not in properties or properties[prop] is None:
            return False
        value = properties[prop]
        for op, target in conditions.items():
            ok = value in target if op == "in" else _OPERATORS[op](value, target)
            if not ok:
                return False
    return True


def search(
    catalog: str,
    *,
    collections: Sequence[str] | str | None = None,
    bbox: Sequence[float] | None = None,
    region: Mapping[str, Any] | str | Path | None = None,
    datetime: Any = None,
    query: Mapping[str, Mapping[str, Any]] | None = None,
    max_items: int | None = None,
) -> list[dict[str, Any]]:
    """Search a STAC API and return the matching items as plain dicts.

    Parameters
    ----------
    catalog
        URL of a STAC API (``http://127.0.0.1:7822`` for the local one).
    collections
        Collection ids to search.
    bbox
        (west, south, east, north) in degrees (EPSG:4326). Exclusive with ``region``.
    region
        GeoJSON geometry, Feature or FeatureCollection (mapping or file path).
    datetime
        A range such as ``"2021-06-01/2021-08-31"``, a single date, or a (start, end) pair.
    query
        Property filters, STAC-API ``query`` style: ``{"eo:cloud_cover": {"lt": 20}}``
        (operators eq, neq, lt, lte, gt, gte, in). Sent to the server when it supports the
        query extension and always re-applied here, so servers without it filter the same.
    max_items
        Stop after this many items.

    Returns
    -------
    list of dict
        Items as the server sent them (raw dicts keep ``proj:epsg`` for stackstac), sorted by
        datetime then id.

    Raises
    ------
    CatalogUnreachableError
        The URL does not answer as a STAC API.
    NoItemsFoundError
        Nothing matched; the message repeats the filters so they can be widened.
    """
    import pystac_client
    import requests
    from pystac_client.exceptions import APIError

    area = region_from(bbox=bbox, region=region)
    when = datetime_range(datetime)
    if isinstance(collections, str):
        collections = [collections]
    _check_query(query)
    try:
        client = pystac_client.Client.open(catalog, timeout=30)
    except (requests.exceptions.RequestException, APIError, OSError) as err:
        raise CatalogUnreachableError(
            f"cannot reach a STAC API at {catalog} ({type(err).__name__}); check the URL, or "
            "start the local one with 'geoquant catalog serve DIR'") from err
    except Exception as err:  # pystac-client raises plain errors for non-STAC answers
        raise CatalogUnreachableError(
            f"{catalog} did not answer as a STAC API ({err}); check the URL") from err
    if collections:
        known = {c.id for c in client.get_collections()}
        missing = sorted(set(collections) - known)
        if missing:
            raise NoItemsFoundError(
                f"collection(s) {missing} are not in {catalog}; it has {sorted(known)}")
    server_query = query if query and client.conforms_to("QUERY") else None
    kwargs = {k: v for k, v in {
        "collections": collections, "intersects": area.geometry if area else None,
        "datetime": when, "query": server_query, "max_items": None if query else max_items,
    }.items() if v is not None}  # fmt: skip
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", pystac_client.warnings.DoesNotConformTo)
            found = client.search(**kwargs).item_collection_as_dict()["features"]
    except (requests.exceptions.RequestException, APIError) as err:
        raise CatalogUnreachableError(f"the search on {catalog} failed: {err}") from err
    if query:
        found = [item for item in found if matches_query(item["properties"], query)]
    found.sort(key=lambda item: (item["properties"].get("datetime") or "", item["id"]))
    if max_items is not None:
        found = found[:max_items]
    if not found:
        where = f"bbox {area.bbox}" if area else "anywhere"
        raise NoItemsFoundError(
            f"no items in {catalog} for collections={collections}, {where}, "
            f"datetime={when or 'any'}, query={query or 'none'}; widen the region, the dates "
            "or the filters")
    return found
