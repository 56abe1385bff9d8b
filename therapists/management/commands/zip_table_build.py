"""Rebuild the zip-code tables in ``therapists/data/`` from the ``zipcodes`` package.

    python manage.py zip_table_build

A development-time step (``zipcodes`` is in requirements-dev.txt): run it after upgrading the
package and commit the two files. The site reads only the files (``therapists.geo``)."""

from pathlib import Path

from django.core.management.base import BaseCommand

from therapists.geo import (
    CENTROID_REGION,
    CENTROIDS_FILE,
    DATA_DIR,
    KNOWN_ZIPS_FILE,
    ZIP_COUNT,
    centroids_format,
)


def _in_region(lat: float, lon: float) -> bool:
    (south, north), (west, east) = CENTROID_REGION
    return south <= lat <= north and west <= lon <= east


class Command(BaseCommand):
    help = "Rebuild therapists/data/ (known zip codes, centroids near Georgia) from zipcodes."

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, default=DATA_DIR, help="folder to write to")

    def handle(self, *args, output: Path, **options):
        import zipcodes

        known = bytearray(ZIP_COUNT // 8)
        centroids: dict[str, tuple[float, float]] = {}
        # The package's own order, first entry of a zip kept: what zipcodes.matching(zip)[0]
        # gave when the site asked the package directly.
        for entry in zipcodes.list_all():
            code = entry["zip_code"]
            known[int(code) >> 3] |= 1 << (int(code) & 7)
            lat, lon = float(entry["lat"]), float(entry["long"])
            if code not in centroids and (entry["state"] == "GA" or _in_region(lat, lon)):
                centroids[code] = (lat, lon)
        (output / KNOWN_ZIPS_FILE.name).write_bytes(bytes(known))
        (output / CENTROIDS_FILE.name).write_text(centroids_format(centroids))
        self.stdout.write(
            f"{sum(bin(byte).count('1') for byte in known)} known zip codes, "
            f"{len(centroids)} centroids written to {output}."
        )
