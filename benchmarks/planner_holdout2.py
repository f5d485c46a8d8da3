# ruff: noqa: E501
"""Second held-out phrasings: written apart from the planner and its first two sets, never used to tune it."""
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

CROPLAND, GRASS = ("mask", "cropland"), ("mask", "grass")

HOLDOUT: dict[str, tuple[object, tuple[str, ...]]] = {
    # --- share of the image ---------------------------------------------------------------
    "share_water": (
        ("share", WATER),
        (
            "What percentage of the image is covered by water bodies? (GSD: 0.5m)",
            "water fraction of the scene? (GSD: 0.3m)",
            "How much of this tile, in percent, is open water?",
            "Can you tell me which proportion of the picture is water?",
        ),
    ),
    "share_deepglobe_vegetation": (
        ("share", DEEPGLOBE_VEGETATION),
        (
            "What percentage of the image is covered by vegetation (forest, agricultural, or rangeland)?",
            "Share of the scene that is forest, farmland or grassland combined? (GSD: 0.5m)",
            "Taking cropland, forest and grass together as vegetation, what fraction of the image do they cover?",
            "how many percent of picture is vegetated, meaning crops plus forest plus rangeland",
        ),
    ),
    "share_built_or_road": (
        ("share", ("union", BUILT, ROAD)),
        (
            "What fraction of the image is urban area or roads, counted together?",
            "Percentage of the scene that is impervious, i.e. built-up land plus the road network (GSD: 0.3m)",
            "combined share of settlements and streets in the image",
            "If you merge urban areas and roads into one class, how much of the image does it cover in percent?",
        ),
    ),
    # --- area -------------------------------------------------------------------------------
    "area_forest_ha": (
        ("area", FOREST, "ha"),
        (
            "What is the total forest area in hectares? (GSD: 1.0m)",
            "forest area, ha",
            "How many hectares of forest does this image contain?",
            "Please compute the area covered by forest and give it in hectares.",
        ),
    ),
    "area_building_m2": (
        ("area", BUILDING, "m2"),
        (
            "What is the total building footprint area in square metres? (GSD: 0.3m)",
            "How much ground do the buildings cover, in m2? (GSD: 0.5m)",
            "sum of all house footprints (m²)",
            "Total roof area of the buildings in the image, square meters please.",
        ),
    ),
    "area_cropland_km2": (
        ("area", CROPLAND, "km2"),
        (
            "How many square kilometres of agricultural land are in this image? (GSD: 0.5m)",
            "cropland area in km2?",
            "What is the extent of farmland, expressed in square kilometers?",
            "Give me the total area of crops in km²",
        ),
    ),
    # --- area within / farther than a distance ------------------------------------------------
    "area_vegetation_near_bare_ha": (
        ("area", ("near", VEGETATION, BARE, 150), "ha"),
        (
            "What is the total vegetation area (in hectares) within 150m of barren land? (GSD: 0.5m)",
            "How many hectares of vegetation lie no more than 150 m from bare soil?",
            "vegetation inside a 150 m buffer around bare ground, area in ha",
            "Calculate in hectares how much vegetation is located within 150 meters of barren land.",
        ),
    ),
    "area_built_near_water_m2": (
        ("area", ("near", BUILT, WATER, 50), "m2"),
        (
            "How much built-up area (in m2) lies within 50m of water? (GSD: 0.3m)",
            "Urban area within 50 m of water bodies, in square metres? (GSD: 1.0m)",
            "What is the area of settlements closer than 50 meters to water?",
            "developed land inside 50m of the water, area m²",
        ),
    ),
    "area_forest_far_road_ha": (
        ("area", ("far", FOREST, ROAD, 300), "ha"),
        (
            "What is the area of forest (in hectares) that is more than 300m away from any road? (GSD: 1.0m)",
            "How many hectares of forest are farther than 300 m from the road network?",
            "forest beyond 300 m of roads, ha",
            "Compute the forest area located over 300 meters from streets, in hectares.",
        ),
    ),
    "area_grass_far_built_km2": (
        ("area", ("far", GRASS, BUILT, 1000), "km2"),
        (
            "How much rangeland (in km2) is more than 1km from urban areas?",
            "Area of grassland farther than 1 km from any settlement, in square kilometres (GSD: 0.5m)",
            "grass more than 1000 m away from built-up land -- km2?",
            "What is the extent in km² of pasture located over 1 kilometre from developed land?",
        ),
    ),
    # --- share of a class within a distance ---------------------------------------------------
    "share_forest_near_water": (
        ("share", ("near", FOREST, WATER, 100), FOREST),
        (
            "What percentage of the forest lies within 100m of water? (GSD: 0.5m)",
            "Of all forest in the image, what fraction is no more than 100 m from water bodies? (GSD: 1.0m)",
            "share of forest area that is within 100 meters of water",
            "How much of the forest, in percent, is within a 100 m distance of water?",
        ),
    ),
    "share_cropland_near_road": (
        ("share", ("near", CROPLAND, ROAD, 50), CROPLAND),
        (
            "What proportion of agricultural land is within 50m of a road?",
            "Of the cropland, which percentage lies within 50 m of roads? (GSD: 0.3m)",
            "fraction of farmland that is less than 50m from the road network",
            "How many percent of the crops are located within 50 meters of a street?",
        ),
    ),
    # --- counts -------------------------------------------------------------------------------
    "count_buildings": (
        ("count", BUILDING),
        (
            "How many buildings are there in this image? (GSD: 0.3m)",
            "number of buildings?",
            "Count the houses visible in the scene.",
            "How many separate building footprints can be found?",
        ),
    ),
    "count_water": (
        ("count", WATER),
        (
            "How many separate water bodies are there? (GSD: 0.5m)",
            "Count the distinct water regions in the image. (GSD: 1.0m)",
            "how much lakes or ponds are in this picture, count them",
            "What is the number of individual water patches?",
        ),
    ),
    "count_built_min_size": (
        ("count", ("objects", BUILT, 1000, None)),
        (
            "How many separate urban area regions are there? When counting, ignore patches smaller than 0.1 hectares. (GSD: 0.5m)",
            "Count the built-up patches. Only consider patches of at least 1000 m2.",
            "How many settlements larger than 0.1 ha are in the image? (GSD: 0.3m)",
            "number of urban regions, excluding those under 1000 square metres",
        ),
    ),
    "count_forest_min_size": (
        ("count", ("objects", FOREST, 5000, None)),
        (
            "How many forest patches are there? Ignore any patch smaller than 0.5 hectares.",
            "Count the forest patches of at least 0.5 ha (GSD: 1.0m)",
            "How many distinct forest areas, when patches below 5000 m2 are left out?",
            "forest fragments bigger than half a hectare -- how many?",
        ),
    ),
    "count_buildings_near_road": (
        ("count", ("objects_near", BUILDING, ROAD, 20)),
        (
            "How many buildings are within 20m of a road? (GSD: 0.3m)",
            "Count the buildings located no more than 20 m from the road network.",
            "number of houses within 20 meters of streets (GSD: 0.5m)",
            "How many building footprints lie within 20 m of any road?",
        ),
    ),
    "count_water_near_built": (
        ("count", ("objects_near", WATER, BUILT, 500)),
        (
            "How many water bodies are within 500m of urban areas?",
            "Count the separate water bodies lying within 500 m of built-up land (GSD: 0.5m)",
            "number of lakes/ponds within half a kilometre of settlements",
            "How many water patches are located no farther than 500 meters from developed land?",
        ),
    ),
    "count_buildings_adjacent_road": (
        ("count", ("objects_adjacent", BUILDING, ROAD)),
        (
            "How many buildings directly touch a road?",
            "Count the buildings that are adjacent to the road network. (GSD: 0.3m)",
            "number of houses bordering a street",
            "How many building footprints share a border with roads?",
        ),
    ),
    # --- object sizes ---------------------------------------------------------------------------
    "largest_forest_ha": (
        ("largest_object", FOREST, "ha"),
        (
            "What is the area of the largest forest patch, in hectares? (GSD: 1.0m)",
            "How big is the biggest single forest area (ha)?",
            "size of largest forest patch in ha",
            "Find the largest contiguous forest patch and report its size in hectares.",
        ),
    ),
    "smallest_building_m2": (
        ("smallest_object", BUILDING, "m2"),
        (
            "What is the area of the smallest building in square metres? (GSD: 0.3m)",
            "How large is the smallest building footprint, m2?",
            "smallest house size (m²)?",
            "Which size does the tiniest building have, in square meters?",
        ),
    ),
    "mean_water_ha": (
        ("mean_object", WATER, "ha"),
        (
            "What is the average size of the water bodies, in hectares? (GSD: 1.0m)",
            "Mean area per water body in ha (GSD: 0.5m)",
            "average water patch size, hectares",
            "On average, how many hectares does one water body cover?",
        ),
    ),
    # --- comparisons ----------------------------------------------------------------------------
    "compare_bare_more_than_forest": (
        ("compare", ("area", BARE, "m2"), ">", ("area", FOREST, "m2")),
        (
            "Is there more barren land than forest area in this image? (GSD: 0.3m)",
            "Does bare soil cover a larger area than forest?",
            "bare ground area bigger than forest area? yes/no",
            "Is the area of barren land greater than the area of forest?",
        ),
    ),
    "compare_water_less_than_built": (
        ("compare", ("area", WATER, "m2"), "<", ("area", BUILT, "m2")),
        (
            "Is there less water than urban area in this image?",
            "Does water cover a smaller area than built-up land? (GSD: 0.5m)",
            "water area smaller than settlement area?",
            "Is the total area of water lower than that of developed land?",
        ),
    ),
    "compare_count_forest_water": (
        ("compare", ("count", FOREST), ">", ("count", WATER)),
        (
            "Are there more forest patches than water bodies?",
            "Is the number of separate forest patches greater than the number of water bodies? (GSD: 1.0m)",
            "are forest patches more numerous than water bodies?",
            "Does the image contain more individual forest areas than individual water bodies?",
        ),
    ),
    "compare_forest_above_number": (
        ("compare", ("area", FOREST, "ha"), ">", ("number", 10, "ha")),
        (
            "Does the forest cover more than 10 hectares? (GSD: 1.0m)",
            "Is the total forest area above 10 ha? (GSD: 0.5m)",
            "forest > 10 ha?",
            "Is there more than 10 hectares of forest in this image?",
        ),
    ),
    "compare_water_below_number": (
        ("compare", ("area", WATER, "km2"), "<", ("number", 1, "km2")),
        (
            "Is the total water area less than 1 square kilometre?",
            "Does water cover under 1 km2 of the image? (GSD: 0.5m)",
            "water area below 1 km²?",
            "Is there less than 1 km2 of water in this scene?",
        ),
    ),
    # --- existence --------------------------------------------------------------------------------
    "exists_building_near_water": (
        ("compare", ("area", ("near", BUILDING, WATER, 30), "m2"), ">", ("number", 0, "m2")),
        (
            "Is there any building within 30m of water? (GSD: 0.3m)",
            "Are any buildings located within 30 m of a water body? (GSD: 0.5m)",
            "any houses closer than 30 meters to water?",
            "Does at least one building stand within 30 m of the water?",
        ),
    ),
    # --- connectivity -------------------------------------------------------------------------------
    "connectivity_forest": (
        ("connectivity", FOREST),
        (
            "Is the forest connected or fragmented? (GSD: 0.5m)",
            "Would you describe the forest cover as connected or fragmented? (GSD: 1.0m)",
            "forest: one connected block, or fragmented?",
            "Is the forest in this image fragmented, or is it connected?",
        ),
    ),
    "connected_roads_yes_no": (
        ("compare", ("connected_groups", ROAD), "==", ("number", 1, "")),
        (
            "Is the road network fully connected? (GSD: 0.5m)",
            "Do all roads form one single connected network?",
            "are the streets all connected to each other, yes or no",
            "Does the road network consist of a single connected component?",
        ),
    ),
    # --- minimum distance -----------------------------------------------------------------------------
    "min_distance_built_water_m": (
        ("min_distance", BUILT, WATER, "m"),
        (
            "What is the shortest distance in metres between urban area and water? (GSD: 0.5m)",
            "How close does built-up land come to water, in m? (GSD: 0.3m)",
            "minimum distance settlements to water",
            "How far is the nearest water from the built-up area, in meters?",
        ),
    ),
    "min_distance_forest_road_km": (
        ("min_distance", FOREST, ROAD, "km"),
        (
            "What is the minimum distance between forest and roads, in kilometres?",
            "How far, in km, is the closest road from the forest? (GSD: 1.0m)",
            "shortest forest-to-road distance (km)",
            "Give the smallest distance separating the forest from the road network, in kilometers.",
        ),
    ),
    # --- change between two years -----------------------------------------------------------------------
    "change_forest_lost_ha": (
        ("area", ("difference", ("mask", "forest", "before"), ("mask", "forest", "after")), "ha"),
        (
            "How many hectares of forest were lost between 2015 and 2020? (GSD: 0.5m)",
            "What area of forest (ha) disappeared between the 2012 and the 2022 images? (GSD: 1.0m)",
            "forest loss 2018 to 2023 in hectares",
            "How much forest that existed in 2010 was gone by 2020, in ha?",
        ),
    ),
    "change_built_gained_m2": (
        ("area", ("difference", ("mask", "built-up", "after"), ("mask", "built-up", "before")), "m2"),
        (
            "How much new urban area (in m2) appeared between 2016 and 2021?",
            "What area of built-up land was gained from 2010 to 2020, in square metres? (GSD: 0.5m)",
            "newly built-up area between 2014 and 2019, m²",
            "How many square meters became developed land between the 2017 and 2022 images?",
        ),
    ),
    "change_water_net_ha": (
        ("difference_of", ("area", ("mask", "water", "after"), "ha"), ("area", ("mask", "water", "before"), "ha")),
        (
            "What is the net change in water area, in hectares, between 2015 and 2021?",
            "By how many hectares did the total water area change from 2010 to 2020? (GSD: 0.5m)",
            "net water area change 2018->2023 (ha)",
            "How much did the water surface grow or shrink in hectares between the two dates, 2013 and 2019?",
        ),
    ),
    "change_cropland_percent": (
        ("percent_change", ("area", ("mask", "cropland", "after"), "m2"), ("area", ("mask", "cropland", "before"), "m2")),
        (
            "By what percentage did agricultural land change between 2016 and 2021?",
            "What is the percent change in cropland area from 2010 to 2020? (GSD: 1.0m)",
            "farmland % change 2015 to 2022",
            "How many percent did the area of crops increase or decrease between 2012 and 2018?",
        ),
    ),
    "change_new_building_patches": (
        ("count", ("objects_far", ("mask", "building", "after"), ("mask", "building", "before"), 0)),
        (
            "How many new buildings appeared between 2018 and 2023?",
            "Count the building patches present in 2021 that did not exist at all in 2015. (GSD: 0.3m)",
            "number of new houses built between 2012 and 2020",
            "How many buildings in the 2022 image are entirely new compared with 2017?",
        ),
    ),
    # --- two-step and chained ------------------------------------------------------------------------------
    "two_step_forest_near_road": (
        ("area", ("near", ("objects", FOREST, 10000, None), ROAD, 100), "m2"),
        (
            "Find forest patches larger than 1 hectare, then calculate how much of their area (in m2) falls within 100m of roads (GSD: 0.5m)",
            "First select forest patches bigger than 1 ha; then what area of them, in square metres, lies within 100 m of a road?",
            "forest patches > 10000 m2, area of these within 100m of roads, m²",
            "Keep only the forest patches over 1 hectare and compute, in square meters, the part of them that is within 100 meters of the road network.",
        ),
    ),
    "chained_cropland_near_water_far_road": (
        ("area", ("far", ("near", CROPLAND, WATER, 500), ROAD, 50), "ha"),
        (
            "What area of cropland (in hectares) is within 500m of water but more than 50m from any road?",
            "How many hectares of agricultural land lie within 500 m of water bodies and farther than 50 m from roads? (GSD: 1.0m)",
            "farmland within 500 m of water, excluding anything within 50 m of a road -- ha",
            "Compute in hectares the crops that are near water (500 m or less) yet over 50 m away from the road network.",
        ),
    ),
    # --- largest patch share ---------------------------------------------------------------------------------
    "share_largest_forest_patch": (
        ("share", ("largest_of", FOREST)),
        (
            "What percentage of the image is covered by the largest forest patch? (GSD: 1.0m)",
            "Which share of the whole scene does the single biggest forest patch occupy?",
            "largest forest patch as % of image",
            "How much of the picture, in percent, is taken up by the biggest contiguous forest area?",
        ),
    ),
}
