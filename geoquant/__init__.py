"""geoquant: exact quantitative answers about large areas of the Earth from satellite imagery.

Subpackages load on first use, so ``import geoquant`` stays light: no dask, xarray, torch,
numba or zarr is imported until a function that needs them runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import lazy_loader as _lazy

from geoquant._version import __version__
from geoquant.errors import GeoquantError

_SUBMODULES = ["sources", "sinks", "synth", "demo", "errors", "ops", "tiling", "segment",
               "reason", "cluster"]

if TYPE_CHECKING:  # pragma: no cover
    from geoquant import cluster, demo, sinks, sources, synth  # noqa: F401
    from geoquant.reason import ask  # noqa: F401


# ``geoquant.cluster(...)`` starts a cluster: the subpackage ``geoquant.cluster`` is callable
# (a function of the same name here would be hidden by the subpackage once it is imported).

# Subpackages load on first use, through the same lazy loader as geoquant.segment's names.
# ``geoquant.ask`` is :func:`geoquant.reason.ask` itself (its signature and numpydoc text show
# in help()), loaded on first use like the subpackages.
__getattr__, _lazy_dir, _lazy_all = _lazy.attach(__name__, submodules=_SUBMODULES,
                                                 submod_attrs={"reason": ["ask"]})


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = ["GeoquantError", "__version__", "ask", *_SUBMODULES]
