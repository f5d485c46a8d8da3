# ruff: noqa: E501
"""Held-out phrasings: written apart from the planner's development corpus, never used to tune it."""

from geoquant.reason._corpus import (
    BARE,
    BUILDING,
    BUILT,
    DEEPGLOBE_VEGETATION,
    FOREST,
    ROAD,
    VEGETATION,
    WATER,
)

CROPLAND, GRASS, SHRUBLAND, WETLAND = ("mask", "cropland"), ("mask", "grass"), ("mask", "shrubland"), ("mask", "wetland")

HOLDOUT: dict[str, tuple[object, tuple[str, ...]]] = {
    # 1
    "share_class": (("share", FOREST), (
        "roughly how much of this scene is woodland, as a percent?",
        "Tree cover fraction of the image?",
        "could you tell me which percentage of the picture is occupied by forest please (GSD: 0.5m)",
    )),
    "share_class_v": (("share", GRASS), (
        "What proportion of the tile is grassland, in %?",
        "pasture share of total image area",
        "Hi! I'm curious, how much of this map is meadow, percentage-wise? (GSD: 1.0m)",
    )),
    # 2
    "share_union": (("share", DEEPGLOBE_VEGETATION), (
        "Counting forest, agricultural land and rangeland together as vegetation, what percent of the image is vegetated?",
        "% vegetation where vegetation = trees + farmland + pasture",
        "If I take vegetation to mean woodland, crops and grassland combined, how much of the area does it cover in percent? (GSD: 0.5m)",
    )),
    "share_union_v": (("share", ("union", FOREST, SHRUBLAND, WETLAND)), (
        "Treat natural land as forest plus shrubland plus wetland. What share of the image is natural land?",
        "percentage of scene covered by trees, scrub or marsh combined",
        "For our report, natural cover includes woodland, shrubs and swamp; which fraction of the picture in % is that?",
    )),
    # 3
    "area_ha": (("area", WATER, "ha"), (
        "How many hectares of open water are there?",
        "water bodies total surface, ha",
        "please give me the size of all the lakes together in hectare (GSD: 1.0m)",
    )),
    "area_ha_v": (("area", CROPLAND, "ha"), (
        "Total farmland area in hectares?",
        "how big is the agricultural land here, expressed in ha",
        "I need the cropland extent in this image, in hectares please. (GSD: 1.0m)",
    )),
    # 4
    "area_km2": (("area", BUILT, "km2"), (
        "How many square kilometres of urban area does the image contain?",
        "developed land, km²",
        "what is the surface of the settlements in km2? (GSD: 0.5m)",
    )),
    "area_km2_v": (("area", FOREST, "km2"), (
        "Give the woodland area in km².",
        "tree cover extent (square kilometers)",
        "How much forest is there, measured in km2, across the whole tile? (GSD: 0.5m)",
    )),
    # 5
    "proximity_area": (("area", ("near", VEGETATION, BARE, 200), "ha"), (
        "How many hectares of vegetation lie within 200 m of bare soil?",
        "vegetated area no farther than 200m from barren land, in ha",
        "What is the area of vegetation that is close to bare ground, meaning 200 metres or less, in hectares? (GSD: 1.0m)",
    )),
    "proximity_area_v": (("area", ("near", CROPLAND, ROAD, 50), "m2"), (
        "How much farmland is within 50 m of a road?",
        "cropland area inside a 50m buffer around the road network, square metres",
        "Can you compute the area of crops located at most 50 meters away from streets, in m²? (GSD: 1.0m)",
    )),
    # 6
    "proximity_share": (("share", ("near", FOREST, WATER, 100), FOREST), (
        "What fraction of the woodland is within 100 m of open water?",
        "% of forest lying <=100m from water",
        "Of all the tree cover in this image, which percentage is at most 100 metres from lakes or rivers? (GSD: 0.5m)",
    )),
    "proximity_share_v": (("share", ("near", BUILT, ROAD, 250), BUILT), (
        "What percentage of the urban area is within 250 m of a road?",
        "share of developed land lying within 250m of the road network",
        "Out of all the settlements, how much in percent sits no more than 250 metres from streets?",
    )),
    # 7
    "count": (("count", WATER), (
        "How many separate water bodies can be seen?",
        "number of lakes",
        "count the distinct patches of open water for me please (GSD: 1.0m)",
    )),
    "count_v": (("count", BUILDING), (
        "How many buildings are in this image?",
        "building count?",
        "Could you tell me the number of houses that appear on the map? (GSD: 0.5m)",
    )),
    # 8
    "count_ignore_small": (("count", ("objects", BUILT, 1000, None)), (
        "How many urban areas are there if patches under 0.1 ha are ignored?",
        "count settlements, skip anything smaller than 1000 m²",
        "Number of developed land regions, not counting the tiny ones below 0.1 hectare (GSD: 0.5m)",
    )),
    "count_ignore_small_v": (("count", ("objects", FOREST, 5000, None)), (
        "How many forest patches of at least 0.5 ha are there?",
        "count woodland patches, excluding those under 5000 m2",
        "Please count the tree cover patches but leave out all patches smaller than 0.5 hectares.",
    )),
    # 9
    "count_near": (("count", ("objects_near", FOREST, WATER, 500)), (
        "How many forest patches are within 500 m of water?",
        "number of woodland patches less than 500m from a lake",
        "Count the patches of trees that have open water within 500 metres of them. (GSD: 1.0m)",
    )),
    "count_near_v": (("count", ("objects_near", BUILDING, ROAD, 20)), (
        "How many buildings are within 20 m of a road?",
        "count houses no farther than 20m from the street network",
        "How many building footprints are located at most 20 metres away from roads? (GSD: 0.5m)",
    )),
    # 10
    "count_adjacent": (("count", ("objects_adjacent", BUILDING, ROAD)), (
        "How many buildings touch a road?",
        "count of houses directly adjacent to streets",
        "Number of building footprints which are bordering the road network (GSD: 0.5m)",
    )),
    "count_adjacent_v": (("count", ("objects_adjacent", WETLAND, WATER)), (
        "How many wetland patches touch open water?",
        "count marsh patches adjacent to water bodies",
        "How many separate swamps are there that share a border with a lake or river?",
    )),
    # 11
    "largest_ha": (("largest_object", WATER, "ha"), (
        "What is the size of the biggest lake in hectares?",
        "largest water body, ha",
        "How large is the largest single patch of open water, expressed in hectares? (GSD: 1.0m)",
    )),
    "largest_ha_v": (("largest_object", GRASS, "ha"), (
        "How big is the largest grassland patch in ha?",
        "max pasture patch size in hectares",
        "Please tell me the area in hectares of the single biggest meadow in the image. (GSD: 1.0m)",
    )),
    # 12
    "mean_m2": (("mean_object", BUILDING, "m2"), (
        "What is the average building size in square metres?",
        "mean building footprint area (m²)",
        "On average, how large is one house in this scene, in m2? (GSD: 0.5m)",
    )),
    "mean_m2_v": (("mean_object", CROPLAND, "ha"), (
        "What is the average size of a farmland patch in hectares?",
        "mean cropland patch area, ha",
        "Typically how big is a field of crops here? Give me the mean in hectares.",
    )),
    # 13
    "smallest_m2": (("smallest_object", FOREST, "m2"), (
        "What is the area of the smallest forest patch?",
        "smallest woodland patch size in m²",
        "How small is the tiniest patch of trees, in square metres? (GSD: 1.0m)",
    )),
    "smallest_m2_v": (("smallest_object", BUILDING, "m2"), (
        "How big is the smallest building in square metres?",
        "min building footprint area, m2",
        "Which size has the smallest house on this image (in m²)? (GSD: 0.5m)",
    )),
    # 14
    "compare_area": (("compare", ("area", BUILT, "m2"), ">", ("area", FOREST, "m2")), (
        "Does urban area cover more ground than forest?",
        "is developed land area larger than woodland area?",
        "Comparing by surface, is there more settlement than tree cover in this image? (GSD: 0.5m)",
    )),
    "compare_area_v": (("compare", ("area", CROPLAND, "m2"), ">", ("area", GRASS, "m2")), (
        "Is there more farmland than grassland by area?",
        "cropland area > pasture area?",
        "Does agricultural land take up a bigger surface than meadow here? (GSD: 1.0m)",
    )),
    # 15
    "compare_count": (("compare", ("count", WATER), ">", ("count", FOREST)), (
        "Are there more separate water bodies than forest patches?",
        "number of lakes greater than number of woodland patches?",
        "If you count them, do the water patches outnumber the patches of trees? (GSD: 1.0m)",
    )),
    "compare_count_v": (("compare", ("count", GRASS), ">", ("count", CROPLAND)), (
        "Are there more grassland patches than cropland patches?",
        "count of pasture patches exceeds count of farmland patches?",
        "Counting individual patches, does meadow have more of them than agricultural land?",
    )),
    # 16
    "compare_number": (("compare", ("largest_object", FOREST, "ha"), ">", ("number", 5, "ha")), (
        "Is the biggest forest patch larger than 5 ha?",
        "largest woodland patch > 5 hectares?",
        "Is there a patch of trees whose size exceeds 5 hectares, i.e. is the largest one above 5 ha? (GSD: 0.5m)",
    )),
    "compare_number_v": (("compare", ("largest_object", WATER, "ha"), ">", ("number", 10, "ha")), (
        "Is the largest lake bigger than 10 ha?",
        "biggest water body over 10 hectares?",
        "Does the largest patch of open water exceed 10 hectares in size?",
    )),
    # 17
    "exists_near": (("compare", ("area", ("near", FOREST, WATER, 50), "m2"), ">", ("number", 0, "m2")), (
        "Is there any forest within 50 m of water?",
        "any woodland less than 50m from a lake? yes/no",
        "Does any tree cover come within 50 metres of open water? (GSD: 1.0m)",
    )),
    "exists_near_v": (("compare", ("area", ("near", BUILDING, WATER, 30), "m2"), ">", ("number", 0, "m2")), (
        "Are there any buildings within 30 m of water?",
        "any houses closer than 30m to a water body?",
        "Tell me whether some building stands 30 metres or less from lakes or rivers. (GSD: 0.5m)",
    )),
    # 18
    "connectivity": (("connectivity", FOREST), (
        "Is the woodland continuous or broken up into pieces?",
        "forest connectivity",
        "How well connected is the tree cover, or is it rather fragmented? (GSD: 0.5m)",
    )),
    "connectivity_v": (("connectivity", GRASS), (
        "Is the grassland connected or fragmented?",
        "pasture: connected vs fragmented?",
        "Would you say the meadows form a connected network or are they scattered in fragments?",
    )),
    # 19
    "connected_yes_no": (("compare", ("connected_groups", FOREST), "==", ("number", 1, "")), (
        "Is all the forest one single connected patch?",
        "woodland forms exactly one connected piece? yes or no",
        "Does the tree cover make up one continuous block without any separate parts? (GSD: 1.0m)",
    )),
    "connected_yes_no_v": (("compare", ("connected_groups", WATER), "==", ("number", 1, "")), (
        "Is all the water one connected body?",
        "open water = single connected region? y/n",
        "Is every bit of water here linked together in one piece, yes or no?",
    )),
    # 20
    "distance": (("min_distance", BUILDING, WATER, "m"), (
        "How close does the nearest building get to water, in metres?",
        "min distance buildings-water (m)",
        "What's the shortest gap between any house and a lake, in meters? (GSD: 0.5m)",
    )),
    "distance_v": (("min_distance", FOREST, ROAD, "m"), (
        "What is the minimum distance between the forest and the road network in metres?",
        "shortest distance woodland to roads, m",
        "How far is the closest tree cover from any street, in meters? (GSD: 1.0m)",
    )),
    # 21
    "change_lost": (("area", ("difference", ("mask", "forest", "before"), ("mask", "forest", "after")), "ha"), (
        "How many hectares of forest were lost between 2006 and 2012?",
        "woodland loss 2006->2012, ha",
        "From 2006 to 2012, how much tree cover disappeared, in hectares? (GSD: 1.0m)",
    )),
    "change_lost_v": (("area", ("difference", ("mask", "cropland", "before"), ("mask", "cropland", "after")), "ha"), (
        "How much farmland was lost between 2015 and 2020, in hectares?",
        "cropland lost from 2015 to 2020 (ha)",
        "Between 2015 and 2020, what area of agricultural land vanished? Answer in ha please.",
    )),
    # 22
    "change_percent": (("percent_change", ("area", ("mask", "forest", "after"), "m2"), ("area", ("mask", "forest", "before"), "m2")), (
        "By what percentage did the forest area change from 2006 to 2012?",
        "% change in woodland area 2006-2012",
        "How much did tree cover grow or shrink in percent between 2006 and 2012? (GSD: 0.5m)",
    )),
    "change_percent_v": (("percent_change", ("area", ("mask", "built-up", "after"), "m2"), ("area", ("mask", "built-up", "before"), "m2")), (
        "What was the percent change in urban area between 2015 and 2020?",
        "developed land area change 2015 to 2020, percent",
        "How many percent did the settlements expand or decline from 2015 to 2020? (GSD: 0.5m)",
    )),
    # 23
    "new_patches": (("count", ("objects_far", ("mask", "built-up", "after"), ("mask", "built-up", "before"), 0)), (
        "How many new urban patches appeared between 2006 and 2012?",
        "count of new settlements 2006->2012",
        "Between 2006 and 2012, how many brand-new patches of developed land showed up? (GSD: 1.0m)",
    )),
    "new_patches_v": (("count", ("objects_far", ("mask", "building", "after"), ("mask", "building", "before"), 0)), (
        "How many new buildings were built between 2015 and 2020?",
        "number of new houses 2015-2020",
        "From 2015 to 2020, how many building footprints are new, that is not there in 2015?",
    )),
    # 24
    "two_step": (("area", ("near", ("objects", VEGETATION, 20000, None), WATER, 200), "ha"), (
        "Take the vegetation patches larger than 2 ha; how many hectares of them lie within 200 m of water?",
        "veg patches >2ha -> area within 200m of water, ha",
        "First select vegetation patches bigger than 2 hectares, then tell me how much of their area is at most 200 metres from water, in hectares. (GSD: 0.5m)",
    )),
    "two_step_v": (("area", ("near", ("objects", FOREST, 50000, None), ROAD, 100), "ha"), (
        "Considering only forest patches larger than 5 ha, how many hectares of them are within 100 m of a road?",
        "woodland patches > 5ha: area within 100m of roads in ha",
        "Step one, keep the tree cover patches above 5 hectares; step two, measure how much of them sits within 100 metres of streets, in ha.",
    )),
    # 25
    "chained": (("area", ("far", ("near", VEGETATION, WATER, 200), BUILT, 100), "ha"), (
        "How many hectares of vegetation are within 200 m of water but more than 100 m from urban areas?",
        "vegetation <=200m from water and >100m from built-up, ha",
        "What is the area in hectares of vegetated land that is close to water, within 200 metres, yet at least 100 metres away from settlements? (GSD: 1.0m)",
    )),
    "chained_v": (("area", ("far", ("near", CROPLAND, WATER, 300), ROAD, 50), "ha"), (
        "How many hectares of cropland are within 300 m of water but more than 50 m from roads?",
        "farmland within 300m of water, excluding anything within 50m of a road, in ha",
        "I want the area in hectares of agricultural land no more than 300 metres from water and farther than 50 metres from the street network.",
    )),
    # 26
    "largest_share": (("share", ("largest_of", FOREST)), (
        "What percentage of the image does the largest forest patch cover?",
        "share of scene occupied by the biggest woodland patch, %",
        "How much of the picture, in percent, is taken up by the single largest patch of trees? (GSD: 0.5m)",
    )),
    "largest_share_v": (("share", ("largest_of", WATER)), (
        "What fraction of the image is the biggest lake, in percent?",
        "largest water body as % of the tile",
        "Which percentage of the whole image does the largest patch of open water cover? (GSD: 1.0m)",
    )),
}
