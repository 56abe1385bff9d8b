"""The zip tables the site reads are the ``zipcodes`` package's data, as the package gives it."""

import io

import zipcodes
from django.core.management import call_command

from therapists import geo


def test_the_committed_tables_are_what_the_package_builds(tmp_path):
    call_command("zip_table_build", output=tmp_path, stdout=io.StringIO())

    assert (tmp_path / "known_zips.bin").read_bytes() == geo.KNOWN_ZIPS_FILE.read_bytes()
    assert (tmp_path / "zip_centroids.txt").read_text() == geo.CENTROIDS_FILE.read_text()


def test_every_zip_the_package_knows_is_known_and_no_other():
    known = {entry["zip_code"] for entry in zipcodes.list_all()}
    # Every 37th code (37 is prime, so every last digit and region is reached) and every real one.
    for code in [f"{number:05d}" for number in range(0, 100_000, 37)] + sorted(known):
        assert geo.is_known_zip(code) == (code in known), code
    for junk in ("", "3030", "303090", "3030a", None):
        assert not geo.is_known_zip(junk)


def test_centroids_in_and_around_georgia_are_the_packages():
    for code in ("30303", "30309", "30024", "31401", "35203", "37402", "29601"):
        [entry, *_] = zipcodes.matching(code)
        assert geo.zip_centroid(code) == (float(entry["lat"]), float(entry["long"]))


def test_a_zip_far_from_georgia_is_real_but_out_of_reach():
    assert geo.is_known_zip("90210")
    assert geo.zip_centroid("90210") is None
    assert geo.distance_miles("30303", "90210") is None
