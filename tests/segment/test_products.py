"""Land-cover products as segmenters."""

import json

import numpy as np
import pytest

import geoquant as gq
from geoquant.errors import BandError, ClassNameError, InvalidOptionError
from geoquant.segment import PRODUCTS, LandCoverProduct
from geoquant.segment._products import product
from geoquant.testing.rasters import as_cube
from geoquant.testing.real import slovenia_reference


def test_builtin_products_map_codes_to_the_vocabulary():
    assert set(PRODUCTS) == {"esa-worldcover", "io-lulc", "slovenia-lulc", "geoquant-synth",
                             "deepglobe", "earthvqa", "dynamic-world"}
    assert product("esa-worldcover").codes[10] == "forest"
    assert product("deepglobe").codes[3] == "grass"          # DeepGlobe's rangeland
    assert product("dynamic-world").codes[6] == "built-up"
    assert product("earthvqa").classes[-1] == "background"   # a legend class of its own
    assert product("io-lulc").codes[11] == "grass"
    assert product("slovenia-lulc").codes[8] == "built-up"
    with pytest.raises(InvalidOptionError, match="did you mean 'io-lulc'"):
        product("io-lulcc")


def test_a_legend_word_outside_the_vocabulary_is_a_class_of_its_own():
    vineyards = LandCoverProduct("vines", {1: "Vineyard", 2: "forest", 3: "Orchards"})
    assert vineyards.classes == ("forest", "vineyard", "orchards")
    codes = np.array([[[1, 2, 3, 0]]], dtype=np.uint8)
    out = gq.segment.apply(as_cube(codes, ["data"]), vineyards)
    # code 0 is not named: a class outside the table, valid ground (no nodata declared)
    assert gq.segment.class_mask(out, "vineyards").values.tolist() == [[1, 0, 0, 0]]


def test_code_zero_is_a_class_unless_declared_no_data():
    """Issue 28 item 1: no data is only what the product (or the file) declares."""
    legend = LandCoverProduct("legend", {0: "grass", 1: "building", 2: "water"})
    assert legend.nodata == ()
    codes = np.array([[[0, 0, 1, 2]]], dtype=np.uint8)
    out = gq.segment.apply(as_cube(codes, ["data"]), legend)
    assert gq.segment.class_mask(out, "grass").values.tolist() == [[1, 1, 0, 0]]
    assert gq.segment.class_mask(out, "water").values.tolist() == [[0, 0, 0, 1]]
    declared = LandCoverProduct("legend", {1: "building", 2: "water"}, nodata=(0,))
    out = gq.segment.apply(as_cube(codes, ["data"]), declared)
    assert gq.segment.class_mask(out, "water").values.tolist() == [[255, 255, 0, 1]]
    item = {"id": "x", "assets": {"data": {"classification:classes": [
        {"value": 0, "description": "Grass"}, {"value": 1, "description": "Water"}]}}}
    assert LandCoverProduct.from_stac(item).nodata == ()


def test_colour_coded_masks_become_codes():
    colours = np.array([[[0, 255, 0], [255, 255, 0], [0, 0, 0], [250, 5, 250]]], np.uint8)
    image = as_cube(np.moveaxis(colours, -1, 0), ["r", "g", "b"])
    codes = product("deepglobe").codes_from_colours(image)
    assert codes.squeeze().values.tolist() == [4, 2, 0, 3]       # near colours keep class


def test_product_probabilities_are_one_hot_with_nodata_nan():
    codes = np.array([[[1, 2, 0], [5, 7, 99]]], dtype=np.uint8)
    out = gq.segment.apply(as_cube(codes, ["data"]), product("geoquant-synth"))
    prob = out.probability.values
    classes = list(out.probability["class"].values)
    assert prob[classes.index("water"), 0, 0] == 1 and np.nansum(prob[:, 0, 0]) == 1
    assert np.isnan(prob[:, 0, 2]).all()                 # code 0: no data
    assert np.nansum(prob[:, 1, 2]) == 0                 # code 99: outside the vocabulary
    assert out.label.values[0, 2] == 255 and out.label.values[1, 2] == 0


def test_broad_class_masks_are_unions_of_members(shared_data):
    ref = slovenia_reference(shared_data)
    cube = ref.expand_dims(band=["lulc"]).astype(np.float32)
    out = gq.segment.apply(cube, product("slovenia-lulc"))
    codes = ref.values
    veg = gq.segment.class_mask(out, "vegetation").values
    # Vegetation holds cropland, forest, grass, shrubland and wetland (codes 1-4 and 6).
    np.testing.assert_array_equal(veg == 1, np.isin(codes, (1, 2, 3, 4, 6)))
    assert (veg == 255).sum() == (codes == 0).sum()
    thresholded = gq.segment.class_mask(out, "green", threshold=0.5).values
    np.testing.assert_array_equal(thresholded, veg)
    with pytest.raises(ClassNameError, match="has no class 'cloud'"):
        gq.segment.class_mask(out, "clouds")


def test_products_read_a_named_band_in_multi_band_cubes():
    values = np.concatenate([np.random.default_rng(0).random((6, 4, 4)),
                             np.full((1, 4, 4), 2.0)]).astype(np.float32)
    cube = as_cube(values, ["B02", "B03", "B04", "B08", "B11", "B12", "lulc"])
    with pytest.raises(BandError, match="band='lulc'"):
        gq.segment.apply(cube, product("geoquant-synth"))
    out = gq.segment.apply(cube, product("geoquant-synth", band="lulc"))
    assert (gq.segment.class_mask(out, "forest").values == 1).all()
    both = gq.segment.apply(cube, gq.segment.ensemble(product("geoquant-synth", band="lulc"),
                                                      gq.segment.spectral_rules()))
    assert (both.probability.sel({"class": "forest"}).values == 1).all()


def test_esa_worldcover_descriptions_map_to_the_vocabulary():
    names = {10: "Tree cover", 20: "Shrubland", 30: "Grassland", 40: "Cropland",
             50: "Built-up", 60: "Bare / sparse vegetation", 70: "Snow and ice",
             80: "Permanent water bodies", 90: "Herbaceous wetland", 95: "Mangroves",
             100: "Moss and lichen"}
    item = {"id": "esa", "assets": {"map": {"classification:classes": [
        {"value": v, "description": d} for v, d in names.items()]}}}
    made = LandCoverProduct.from_stac(item, asset="map")
    assert dict(made.codes) == dict(product("esa-worldcover").codes)


def test_product_from_real_stac_metadata(shared_data):
    item = json.loads((shared_data / "stac" / "io-lulc-annual-v02-pc.json").read_text())
    item = item["features"][0] if "features" in item else item[0]
    made = LandCoverProduct.from_stac(item)
    assert dict(made.codes) == dict(product("io-lulc").codes)
    assert made.nodata == (0,)
    with pytest.raises(InvalidOptionError, match="classification:classes"):
        LandCoverProduct.from_stac({"id": "x", "assets": {"data": {}}})


def test_esa_worldcover_classes_stay_distinct_on_real_geometry(shared_data, tmp_path):
    """Issue 27 item 2: ESA WorldCover's mangroves never answer for herbaceous wetland, nor
    moss and lichen for all vegetation (the Slovenia reference's geometry, relabelled)."""
    import rasterio
    from rasterio.transform import from_origin

    esa = product("esa-worldcover")
    assert esa.codes[90] == "herbaceous wetland" and esa.codes[95] == "mangroves"
    assert esa.codes[100] == "moss and lichen"
    assert esa.codes_for("wetland") == (90, 95) and esa.codes_for("mangroves") == (95,)
    assert esa.codes_for("vegetation") == (10, 20, 30, 40, 90, 95, 100)
    lulc = slovenia_reference(shared_data).values
    table = np.zeros(9, np.uint8)
    table[[0, 1, 2, 3, 4, 8]] = [0, 60, 10, 90, 95, 100]
    codes = table[lulc]
    path = tmp_path / "esa.tif"
    with rasterio.open(path, "w", driver="GTiff", width=100, height=101, count=1,
                       dtype="uint8", crs="EPSG:32633", nodata=0,
                       transform=from_origin(465181.05, 5080254.63, 10, 10)) as dst:
        dst.write(codes, 1)
    valid = (codes != 0).sum()
    for words, wanted in (("herbaceous wetland", [90]), ("mangroves", [95]),
                          ("wetland", [90, 95]), ("moss and lichen", [100]),
                          ("bare / sparse vegetation", [60])):
        answer = gq.ask(f"What share of the area is {words}?", source=str(path),
                        product="esa-worldcover")
        assert answer.value == pytest.approx(100 * np.isin(codes, wanted).sum() / valid,
                                             rel=1e-9), words


def test_nlcd_legend_as_written_on_the_real_map(shared_data):
    """NLCD's Woody and Emergent Herbaceous Wetlands stay two classes; "wetland" and
    "forest" are the unions of their kinds (the real NLCD 2011 map of Zion)."""
    import rasterio

    legend = {11: "Open Water", 21: "Developed, Open Space", 22: "Developed, Low Intensity",
              23: "Developed, Medium Intensity", 24: "Developed, High Intensity",
              31: "Barren Land (Rock/Sand/Clay)", 41: "Deciduous Forest",
              42: "Evergreen Forest", 43: "Mixed Forest", 52: "Shrub/Scrub",
              71: "Grassland/Herbaceous", 81: "Pasture/Hay", 82: "Cultivated Crops",
              90: "Woody Wetlands", 95: "Emergent Herbaceous Wetlands"}
    nlcd = LandCoverProduct("nlcd", legend)
    assert nlcd.codes_for("wetlands") == (90, 95)
    assert nlcd.codes_for("developed") == (21, 22, 23, 24)
    assert nlcd.codes_for("forest") == (41, 42, 43)
    path = shared_data / "real" / "zion-landsat-nlcd" / "nlcd2011.tif"
    with rasterio.open(path) as src:
        codes = src.read(1)
    valid = (codes != 255).sum()
    for words, wanted in (("woody wetlands", [90]), ("emergent herbaceous wetlands", [95]),
                          ("wetland", [90, 95])):
        answer = gq.ask(f"What share of the map is {words}?", source=str(path),
                        product=json.dumps({str(k): v for k, v in legend.items()}))
        assert answer.value == pytest.approx(100 * np.isin(codes, wanted).sum() / valid,
                                             rel=1e-9), words
