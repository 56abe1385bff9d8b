"""What a client notices on the booking steps: the lengths and prices of the massage they
chose, a length it doesn't come in, the "just taken" page, every bookable day, and an honest
answer to "do you come to me?"."""

import re
from datetime import UTC, timedelta

import pytest

from booking.models import Booking
from tests.booking.helpers import DETAILS, TODAY, TOMORROW, at, make_booking, page_of
from tests.factories import ServiceFactory, TherapistFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday_morning")]


@pytest.fixture
def couples(swedish):
    service = ServiceFactory(
        name="Couples massage, side by side",
        slug="couples",
        kind="couples_side_by_side",
        prices={60: "250.00", 90: "340.00"},
    )
    TherapistFactory(first_name="Jo", modalities=[service.modality], hours="all")
    TherapistFactory(first_name="Sam", modalities=[service.modality], hours="all")
    return service


@pytest.fixture
def swedish_three_lengths(swedish):
    ServiceFactory(slug="swedish", prices={60: "125.00", 90: "170.00", 120: "215.00"})
    return swedish


def choose(client, slug, *, minutes, zip_code="30309"):
    return client.post(
        "/book/",
        {"service": slug, "minutes": minutes, "zip_code": zip_code, "gender_preference": "any"},
    )


def test_each_massage_shows_its_own_lengths_and_prices_without_javascript(
    client, swedish_three_lengths, couples
):
    page = page_of(client.get("/book/?service=swedish"))

    couples_radio = page.index('value="couples"')
    under_couples = page[couples_radio : couples_radio + 800]
    assert "60 minutes each · $250.00 for the two of you" in under_couples
    assert "90 minutes each · $340.00 for the two of you" in under_couples
    assert "120 minutes" not in under_couples
    assert "$125.00" not in under_couples


def test_a_length_the_chosen_massage_lacks_shows_its_own_lengths_again(
    client, swedish_three_lengths, couples
):
    response = choose(client, "couples", minutes=120)

    page = page_of(response)
    assert "<title>Error: " in page
    assert "Couples massage, side by side comes in 60 or 90 minutes." in page
    minutes_group = page[page.index('id="id_minutes_group"') :]
    minutes_group = minutes_group[: minutes_group.index("</fieldset>")]
    assert "$250.00 for the two of you" in minutes_group
    assert "$340.00 for the two of you" in minutes_group
    assert "120 minutes" not in minutes_group
    assert "$125.00" not in minutes_group


def test_choosing_a_massage_with_javascript_swaps_in_its_lengths(
    client, swedish_three_lengths, couples
):
    page = page_of(client.get("/book/?service=swedish"))
    radio = re.search(r'<input[^>]*value="couples"[^>]*>', page).group(0)
    assert 'hx-get="/book/lengths/"' in radio
    assert 'hx-target="#id_minutes_group"' in radio

    partial = page_of(
        client.get(
            "/book/lengths/", {"service": "couples", "minutes": "90"}, HTTP_HX_REQUEST="true"
        )
    )

    assert "<html" not in partial
    assert 'id="id_minutes_group"' in partial
    assert "60 minutes each · $250.00 for the two of you" in partial
    assert re.search(r'value="90"[^>]*checked|checked[^>]*value="90"', partial)
    assert "120 minutes" not in partial and "$125.00" not in partial


def test_a_length_sleep_massage_lacks_says_which_it_comes_in(client):
    sleep = ServiceFactory(name="Sleep massage", slug="sleep", prices={60: "130", 90: "175"})
    TherapistFactory(modalities=[sleep.modality], hours="all")
    ServiceFactory(slug="swedish", prices={60: "125", 120: "215"})

    page = page_of(choose(client, "sleep", minutes=120))

    assert "Sleep massage comes in 60 or 90 minutes." in page
    assert "Choose how long." not in page
    assert 'href="#id_minutes_group"' in page


def test_the_just_taken_page_title_starts_with_error(client, swedish, maya):
    choose(client, "swedish", minutes=60)
    client.post("/book/time/", {"start": at(TOMORROW, 14).astimezone(UTC).isoformat()})
    client.post("/book/details/", DETAILS)
    make_booking(swedish, at(TOMORROW, 14), client_name="Else", client_email="else@example.com")
    assert client.post("/book/review/")["Location"] == "/book/time/"

    page = page_of(client.get("/book/time/"))

    assert "that time was just taken" in page
    assert "<title>Error: Choose a time" in page


def test_the_times_heading_takes_focus_after_an_htmx_swap(client, swedish, maya):
    choose(client, "swedish", minutes=60)

    page = page_of(client.get("/book/time/"))
    partial = page_of(client.get("/book/time/?day=2026-12-03", HTTP_HX_REQUEST="true"))

    heading = re.search(r'<h2[^>]*id="times-heading"[^>]*>', partial).group(0)
    assert 'tabindex="-1"' in heading and "data-focus-after-swap" in heading
    assert re.search(r'<script src="/static/js/booking\.js"[^>]*></script>', page)


def test_the_date_strip_reaches_every_bookable_day(client, swedish, maya, settings):
    choose(client, "swedish", minutes=60)
    last = TODAY + timedelta(days=settings.BOOKING_HORIZON_DAYS)

    page = page_of(client.get("/book/time/"))
    assert 'href="/book/time/?from=2026-12-08"' in page
    assert "Previous week" not in page

    seen, url = set(), "/book/time/"
    for _ in range(20):
        page = page_of(client.get(url))
        seen |= set(re.findall(r'name="day" value="(\d{4}-\d\d-\d\d)"', page))
        following = re.search(r'href="(/book/time/\?from=[\d-]+)"[^>]*>Next week', page)
        if following is None:
            break
        url = following.group(1)
    assert f"{last:%Y-%m-%d}" in seen
    assert len(seen) == settings.BOOKING_HORIZON_DAYS + 1
    assert f"{last + timedelta(days=1):%Y-%m-%d}" not in seen
    assert "Previous week" in page

    far = last - timedelta(days=1)
    partial = page_of(
        client.get(f"/book/time/?from={far:%Y-%m-%d}&day={far:%Y-%m-%d}", HTTP_HX_REQUEST="true")
    )
    assert f"{far:%a}, {far:%b} {far.day} · 9:00 am" in partial
    assert (
        client.post("/book/time/", {"start": at(far, 9).astimezone(UTC).isoformat()})["Location"]
        == "/book/details/"
    )


def test_a_booking_for_day_40_moves_to_day_41_on_the_web(client, swedish, maya):
    day_40, day_41 = TODAY + timedelta(days=40), TODAY + timedelta(days=41)
    booking = make_booking(swedish, at(day_40, 14))

    page = page_of(client.get(f"/booking/{booking.token}/reschedule/"))
    assert f'value="{day_41:%Y-%m-%d}"' in page
    page = page_of(client.get(f"/booking/{booking.token}/reschedule/?day={day_41:%Y-%m-%d}"))
    assert f"{day_41:%a}, {day_41:%b} {day_41.day} · 10:00 am" in page

    response = client.post(
        f"/booking/{booking.token}/reschedule/",
        {"start": at(day_41, 10).astimezone(UTC).isoformat()},
    )

    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.starts_at == at(day_41, 10)


def test_the_zip_answer_is_no_when_the_only_therapist_there_cannot_be_booked(
    client, swedish, settings
):
    TherapistFactory(
        modalities=[swedish.modality],
        hours="all",
        home_zip="30019",
        licence_expires_on=TODAY - timedelta(days=1),
    )

    answer = page_of(client.post("/book/zip-check/", {"service": "swedish", "zip_code": "30019"}))

    assert "Good news" not in answer
    assert "We cover 30019, but no therapist is free to book there right now." in answer
    assert settings.BUSINESS_PHONE in answer
    response = choose(client, "swedish", minutes=60, zip_code="30019")
    assert response.status_code == 200
    page = page_of(response)
    assert "<title>Error: " in page
    assert "no therapist is free to book there right now" in page
    assert Booking.objects.count() == 0


def test_the_zip_answer_is_yes_when_someone_can_be_booked(client, swedish, maya):
    answer = page_of(client.post("/book/zip-check/", {"service": "swedish", "zip_code": "30309"}))

    assert "Good news: we come to 30309." in answer
