"""Synthetic scenes of any size: known ground truth for scale tests and benchmarks.

:func:`scene` describes a georeferenced scene of land cover with matching Sentinel-2-like
reflectance and Sentinel-1-like backscatter; :func:`landcover` the classes alone. Both return
dask-backed xarray objects at once, whatever the size: a 100 000 x 100 000 scene is a graph of
one task per chunk, and any chunk computes alone in memory bounded by the chunk.

>>> import geoquant.synth as synth
>>> ds = synth.scene((100_000, 100_000), seed=3, chunks=2048)   # instant, nothing computed
>>> tile = ds.landcover[:2048, :2048].values                     # one chunk computed

Guarantees
----------
* **Deterministic**: the same seed gives the same pixels; another seed another world.
* **Chunk-independent**: every pixel is a pure function of the seed and its global (row,
  column) index, so any chunking gives identical arrays, bit for bit, for all three variables.
  A scene is the top-left window of an unbounded world: ``scene((n, m))`` equals
  ``scene((N, M))[:n, :m]`` for any larger ``(N, M)``.
* **Lazy and local**: nothing global is materialised. Each feature is owned by one cell of a
  coarse grid and drawn from ``hash(seed, cell)``; a chunk generates only the cells whose
  features can reach it, so its work is proportional to its own area.

Classes (:data:`CLASSES`; code 0 is reserved for nodata and never produced)
---------------------------------------------------------------------------
=====  ===========  ========================================================================
code   name         how it is made
=====  ===========  ========================================================================
1      water        lakes: one per 1024 px cell, a metaball of 5-9 circles; one in 16 is large
                    (up to ~1500 px across, wider than a tile)
2      forest       multi-octave value noise above a threshold (patches of kilometres)
3      cropland     48 px rectangular parcels where farmland noise is high; insets of 0-5 px,
                    so neighbouring fields fuse or touch only at a corner; some split in two
4      grassland    everything else
5      road         jittered 512 px grid of bent segments, connected; every 4th row and column
                    is a major road (~3 px), the rest 1 px digital lines (diagonal runs are
                    8-connected only)
6      building     4-11 px rectangles in rows along roads, dense in settlements; 15 % have a
                    twin touching one corner diagonally; never on roads or water
7      river        meandering rivers crossing the whole scene: one west-east per 2048 rows, a
                    north-south one in 70 % of 6144-column bands, 2-10 px wide
=====  ===========  ========================================================================

Lakes and rivers are both water (:data:`WATER_CODES`); rivers and lakes meet and cross, so water
forms networks spanning many tiles. Water is painted last: roads stop at it (no bridges), so
each river is one connected object.

Imagery
-------
``optical``: per-class mean reflectance (:data:`OPTICAL_BANDS`; water has MNDWI > 0 and very
low NIR, vegetation high NIR, built-up high SWIR; cropland varies per parcel between bare soil
and green crop) times ``1 + 0.06 N(0, 1)``. ``sar``: per-class mean backscatter in dB (water
about -22 dB VV, forest -8, buildings 0) plus 4-look speckle. The noise of each pixel and band is
drawn from a hash of the seed and the pixel's global index, never from a random state.
"""

from geoquant._lazy import attach as _attach

__getattr__, __dir__, __all__ = _attach(__name__, __file__)
