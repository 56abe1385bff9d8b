"""Zip-code centroids (offline, from the ``zipcodes`` package) and distances between them."""

import math
import re
from functools import lru_cache

import zipcodes

EARTH_RADIUS_MILES = 3958.8
ZIP_PATTERN = re.compile(r"^\d{5}$")


@lru_cache(maxsize=4096)
def zip_centroid(zip_code: str) -> tuple[float, float] | None:
    """Latitude and longitude of a US zip code's centroid, or None when it is unknown."""
    if not ZIP_PATTERN.match(zip_code or ""):
        return None
    matches = zipcodes.matching(zip_code)
    if not matches:
        return None
    return float(matches[0]["lat"]), float(matches[0]["long"])


def is_known_zip(zip_code: str) -> bool:
    return zip_centroid(zip_code) is not None


@lru_cache(maxsize=65536)
def distance_miles(zip_a: str, zip_b: str) -> float | None:
    """Great-circle (haversine) distance between two zip centroids, None if either is unknown."""
    a, b = zip_centroid(zip_a), zip_centroid(zip_b)
    if a is None or b is None:
        return None
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(h))
