"""Zip codes: which exist, where those around Georgia lie, and distances between them.

Two small files in ``therapists/data/``, built from the ``zipcodes`` package by
``manage.py zip_table_build`` and committed, are read on first use (about a millisecond, well
under a megabyte in memory):

- ``known_zips.bin``: one bit per five-digit code, set for every US zip code, so validation
  knows every real zip as before;
- ``zip_centroids.txt``: the centroid of every zip code in Georgia and in the region around it
  (``CENTROID_REGION``), far beyond any service radius from metro Atlanta. Elsewhere a zip is
  real but has no centroid here, so it is out of every therapist's reach, as it was by
  distance.
"""

import math
import re
from functools import cache, lru_cache
from pathlib import Path

EARTH_RADIUS_MILES = 3958.8
ZIP_PATTERN = re.compile(r"^\d{5}$")
ZIP_COUNT = 100_000
DATA_DIR = Path(__file__).resolve().parent / "data"
KNOWN_ZIPS_FILE = DATA_DIR / "known_zips.bin"
CENTROIDS_FILE = DATA_DIR / "zip_centroids.txt"
# (south, north), (west, east) in degrees: Georgia and about a hundred miles around it.
CENTROID_REGION = ((29.0, 36.5), (-87.5, -79.0))


def centroids_format(centroids: dict[str, tuple[float, float]]) -> str:
    lines = [f"{code} {lat} {lon}" for code, (lat, lon) in sorted(centroids.items())]
    return "\n".join(lines) + "\n"


@cache
def _known_zips() -> bytes:
    return KNOWN_ZIPS_FILE.read_bytes()


@cache
def _centroids() -> dict[str, tuple[float, float]]:
    centroids = {}
    for line in CENTROIDS_FILE.read_text().splitlines():
        code, lat, lon = line.split()
        centroids[code] = (float(lat), float(lon))
    return centroids


def is_known_zip(zip_code: str) -> bool:
    if not ZIP_PATTERN.match(zip_code or ""):
        return False
    number = int(zip_code)
    return bool(_known_zips()[number >> 3] >> (number & 7) & 1)


def zip_centroid(zip_code: str) -> tuple[float, float] | None:
    """Latitude and longitude of a zip code's centroid, or None when we don't hold one."""
    return _centroids().get(zip_code) if isinstance(zip_code, str) else None


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
