"""Cached pages and times stay true: each change shows on the very next request, and a cached
page is the same for everyone, with nobody's session, CSRF token or messages in it."""

import gzip
import re
from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from blog.services import article_publish, article_save
from booking.assignment import SlotTaken
from booking.models import Appointment, Booking, ServiceDuration
from booking.services import booking_cancel
from tests.booking.helpers import TODAY, TOMORROW, at, make_booking, page_of
from tests.booking.test_flow import book, choose_service, slot_value
from tests.factories import ArticleFactory, TherapistFactory, TimeOffFactory
from therapists.models import Therapist, WorkingHours

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday_morning")]

# One therapist free for one hour on Wednesday (weekday 2), TOMORROW: one start time, 2 pm.
ONE_HOUR_ON_WEDNESDAY = [(2, time(14), time(15))]
PUBLIC_PAGES = ["/", "/services/", "/services/swedish/", "/blog/", "/therapists/"]


def times(client, service="swedish", day=TOMORROW) -> list[str]:
    response = client.get(
        "/api/availability", {"service": service, "minutes": 60, "zip": "30309", "date": day}
    )
    assert response.status_code == 200
    return [slot["start"] for slot in response.json()["slots"]]


def queries_for(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_public_pages_are_served_from_the_cache_to_anonymous_visitors(client, swedish, maya):
    article = ArticleFactory(title="Sore muscles after a run")
    pages = [*PUBLIC_PAGES, article.get_absolute_url(), f"/therapists/{maya.slug}/"]
    for path in pages:
        assert queries_for(client, path) > 0
        assert queries_for(client, path) == 0, path


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_a_cached_page_goes_out_with_the_headers_of_a_rendered_one(client, swedish, path):
    rendered = client.get(path)
    cached = client.get(path)

    assert cached.content == rendered.content
    for header in (
        "Content-Type",
        "Content-Security-Policy",
        "Permissions-Policy",
        "X-Frame-Options",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "Cross-Origin-Opener-Policy",
    ):
        assert cached[header] == rendered[header], header
    assert not cached.cookies


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_a_cached_page_goes_to_a_browser_compressed_and_whole(client, swedish, path):
    rendered = client.get(path)
    browser = client.get(path, headers={"accept-encoding": "gzip, deflate, br, zstd"})
    plain = client.get(path)

    assert browser["Content-Encoding"] == "gzip"
    assert gzip.decompress(browser.content) == rendered.content
    assert len(browser.content) < len(rendered.content) / 2
    assert browser["Content-Length"] == str(len(browser.content))
    assert "Content-Encoding" not in plain
    assert plain.content == rendered.content
    assert plain["Content-Length"] == str(len(rendered.content))
    for response in (rendered, browser, plain):
        assert "Accept-Encoding" in response["Vary"]


def test_a_browser_that_refuses_gzip_gets_the_page_as_it_is(client, swedish):
    rendered = client.get("/")

    refused = client.get("/", headers={"accept-encoding": "gzip;q=0, identity"})

    assert "Content-Encoding" not in refused
    assert refused.content == rendered.content


def test_the_home_page_answers_head_without_a_body(client, swedish):
    fresh = client.head("/")
    client.get("/")
    cached = client.head("/")

    for response in (fresh, cached):
        assert response.status_code == 200
        assert response.content == b""
        assert response["Content-Type"].startswith("text/html")
        assert response["X-Frame-Options"] == "DENY"


def test_publishing_an_article_shows_it_on_the_journal_and_the_home_page(client, swedish):
    draft = ArticleFactory(title="Stretching after a deep tissue massage", status="draft")
    assert "Stretching after" not in page_of(client.get("/blog/"))
    assert "Stretching after" not in page_of(client.get("/"))

    article_publish(article=draft)

    assert "Stretching after" in page_of(client.get("/blog/"))
    assert "Stretching after" in page_of(client.get("/"))


def test_editing_an_article_shows_on_its_page(client, tuesday_morning):
    article = ArticleFactory(title="Massage and sleep", body="The first words.")
    assert "The first words." in page_of(client.get(article.get_absolute_url()))
    # The article's own fragment cache goes by its last-changed time, to the microsecond.
    tuesday_morning.shift(timedelta(seconds=1))

    article.body = "Better words."
    article_save(article=article)

    page = page_of(client.get(article.get_absolute_url()))
    assert "Better words." in page and "The first words." not in page


def test_a_scheduled_article_appears_when_its_time_comes(client, tuesday_morning):
    ArticleFactory(title="Winter aches", published_at=at(TODAY, 10))
    assert "Winter aches" not in page_of(client.get("/blog/"))

    tuesday_morning.move_to(at(TODAY, 10) + timedelta(seconds=1))

    assert "Winter aches" in page_of(client.get("/blog/"))


def test_a_price_change_shows_on_the_service_pages(client, swedish):
    assert "$125.00" in page_of(client.get("/services/"))
    assert "$125.00" in page_of(client.get("/services/swedish/"))

    # As staff change it in admin: the row is saved.
    duration = ServiceDuration.objects.get(service=swedish, minutes=60)
    duration.price = Decimal("130.00")
    duration.save()

    for path in ("/services/", "/services/swedish/"):
        page = page_of(client.get(path))
        assert "$130.00" in page and "$125.00" not in page


def test_an_activated_therapist_joins_the_directory(client, swedish):
    therapist = TherapistFactory(
        display_name="Jo W.", status=Therapist.Status.APPLICANT, modalities=[swedish.modality]
    )
    assert "Jo W." not in page_of(client.get("/therapists/"))

    therapist.status = Therapist.Status.ACTIVE
    therapist.save()

    assert "Jo W." in page_of(client.get("/therapists/"))


def test_booking_the_last_slot_takes_it_off_the_times(client, swedish):
    TherapistFactory(modalities=[swedish.modality], hours=ONE_HOUR_ON_WEDNESDAY)
    assert times(client) == ["2026-12-02T14:00:00-05:00"]
    client.post("/book/", {"service": "swedish", "minutes": 60, "zip_code": "30309"})
    assert "2:00" in page_of(
        client.get("/book/time/?day=2026-12-02", headers={"HX-Request": "true"})
    )

    make_booking(swedish, at(TOMORROW, 14))

    assert times(client) == []
    partial = page_of(client.get("/book/time/?day=2026-12-02", headers={"HX-Request": "true"}))
    assert 'name="start"' not in partial


def time_step(client, day=TOMORROW) -> tuple[str, str]:
    """The time step's page and its htmx partial for ``day``, each asked for twice: the second
    answer comes from the cache when there is one."""
    for _ in range(2):
        page = page_of(client.get(f"/book/time/?day={day:%Y-%m-%d}"))
        partial = page_of(
            client.get(f"/book/time/?day={day:%Y-%m-%d}", headers={"HX-Request": "true"})
        )
    return page, partial


def test_booking_the_last_open_time_of_a_day_takes_it_off_the_time_step(client, swedish):
    TherapistFactory(modalities=[swedish.modality], hours=ONE_HOUR_ON_WEDNESDAY)
    choose_service(client, swedish)
    for shown in time_step(client):
        assert "Wed, Dec 2 · 2:00 pm" in shown

    make_booking(swedish, at(TOMORROW, 14))

    for shown in time_step(client):
        assert "Wed, Dec 2 · 2:00 pm" not in shown
        assert "No open times on this day." in shown


def test_time_off_takes_times_off_the_time_step(client, swedish, maya):
    choose_service(client, swedish)
    for shown in time_step(client):
        assert "Wed, Dec 2 · 10:00 am" in shown

    TimeOffFactory(therapist=maya, starts_at=at(TOMORROW, 9), ends_at=at(TOMORROW, 13))

    for shown in time_step(client):
        assert "Wed, Dec 2 · 10:00 am" not in shown
        assert "Wed, Dec 2 · 2:00 pm" in shown


def test_changed_working_hours_show_on_the_time_step(client, swedish):
    therapist = TherapistFactory(modalities=[swedish.modality], hours=ONE_HOUR_ON_WEDNESDAY)
    choose_service(client, swedish)
    for shown in time_step(client):
        assert "Wed, Dec 2 · 4:00 pm" not in shown

    hours = WorkingHours.objects.get(therapist=therapist)
    hours.ends_at = time(17)
    hours.save()

    for shown in time_step(client):
        assert "Wed, Dec 2 · 4:00 pm" in shown


def test_the_time_step_carries_nobody_elses_token_or_chosen_time(swedish, maya):
    ada, bea = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    for visitor in (ada, bea):
        visitor.get("/book/")
        visitor.post(
            "/book/",
            {
                "service": "swedish",
                "minutes": 60,
                "zip_code": "30309",
                "csrfmiddlewaretoken": visitor.cookies["csrftoken"].value,
            },
        )
    path = "/book/time/?day=2026-12-02"
    ada_page = page_of(ada.get(path))  # the one that fills the cache
    ada.post(
        "/book/time/",
        {"start": slot_value(at(TOMORROW, 14)), "csrfmiddlewaretoken": csrf_token_in(ada_page)},
    )
    chosen = re.escape(f'value="{slot_value(at(TOMORROW, 14))}"') + r"\s+checked"
    assert re.search(chosen, page_of(ada.get(path)))

    bea_page = page_of(bea.get(path))

    assert "Wed, Dec 2 · 2:00 pm" in bea_page
    assert not re.search(chosen, bea_page) and " checked" not in bea_page
    bea_token = csrf_token_in(bea_page)
    assert csrf_token_in(ada_page) != bea_token and csrf_token_in(ada_page) not in bea_page
    response = bea.post(
        "/book/time/",
        {"start": slot_value(at(TOMORROW, 15)), "csrfmiddlewaretoken": bea_token},
    )
    assert response.status_code == 302
    assert ada.cookies["csrftoken"].value != bea.cookies["csrftoken"].value


def test_the_time_step_carries_nobody_elses_messages(swedish, maya):
    TherapistFactory(modalities=[swedish.modality], hours="all")
    ada, bea = Client(), Client()
    ada.get(f"/book/?therapist={maya.slug}")
    for visitor in (ada, bea):
        choose_service(visitor, swedish)
    Therapist.objects.filter(pk=maya.pk).update(status=Therapist.Status.PAUSED)

    # Ada's view of the page is the first, the one that fills the cache.
    assert "isn't taking bookings right now" in page_of(ada.get("/book/time/"))
    for visitor in (bea, Client(), ada):
        if visitor is not ada:
            choose_service(visitor, swedish)
        page = page_of(visitor.get("/book/time/"))
        assert "isn't taking bookings right now" not in page
        assert "Tue, Dec 1 · 2:00 pm" in page


def csrf_token_in(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def test_the_time_step_runs_no_query_however_busy_the_calendars(
    client, swedish, maya, django_assert_num_queries
):
    choose_service(client, swedish)
    time_step(client)
    for n in range(3):
        TherapistFactory(modalities=[swedish.modality], hours="all")
        make_booking(swedish, at(TOMORROW, 10 + 2 * n), client_email=f"c{n}@example.com")
    time_step(client)

    # None: the session is read from the cache, and written back (to the database too) only
    # when the visit changes it.
    with django_assert_num_queries(0):
        client.get("/book/time/?day=2026-12-02")
    with django_assert_num_queries(0):
        client.get("/book/time/?day=2026-12-02", headers={"HX-Request": "true"})
    with django_assert_num_queries(0):
        client.get("/book/time/")


def test_time_off_takes_times_away(client, swedish, maya):
    assert "2026-12-02T10:00:00-05:00" in times(client)

    TimeOffFactory(therapist=maya, starts_at=at(TOMORROW, 9), ends_at=at(TOMORROW, 13))

    open_times = times(client)
    assert "2026-12-02T10:00:00-05:00" not in open_times
    assert "2026-12-02T14:00:00-05:00" in open_times


def test_a_cancelled_booking_gives_its_time_back(client, swedish, maya):
    booking = make_booking(swedish, at(TOMORROW, 14))
    assert "2026-12-02T14:00:00-05:00" not in times(client)

    booking_cancel(booking=booking)

    assert "2026-12-02T14:00:00-05:00" in times(client)


def test_times_drop_out_as_the_notice_period_passes(client, swedish, maya, tuesday_morning):
    # 9:00 am with three hours' notice: noon is the first time today.
    assert times(client, day="2026-12-01")[0] == "2026-12-01T12:00:00-05:00"

    tuesday_morning.move_to(at(TODAY, 9, 1))

    assert times(client, day="2026-12-01")[0] == "2026-12-01T12:30:00-05:00"


def test_a_cached_page_carries_nobody_elses_session_token_or_messages(client, swedish, maya):
    # Ada books; her confirmation message waits for her next page, which is the home page.
    ada = Client()
    assert book(ada, swedish, starts_at=at(TOMORROW, 14)).status_code == 302
    anonymous_first = client.get("/")  # cached for anonymous visitors from here on
    ada_home = ada.get("/")
    assert "You're booked" in page_of(ada_home)

    for visitor in (client, Client()):
        response = visitor.get("/")
        page = page_of(response)
        assert "You're booked" not in page
        assert "csrfmiddlewaretoken" not in page and "X-CSRFToken" not in page
        assert not response.cookies
        assert ada.cookies["sessionid"].value not in page
    assert page_of(anonymous_first) == page_of(client.get("/"))


def test_pages_with_a_form_that_posts_are_never_cached(client, swedish, maya):
    first = client.get("/book/?service=swedish")
    second = Client().get("/book/?service=swedish")
    token = "csrfmiddlewaretoken"
    assert token in page_of(first) and token in page_of(second)
    assert first.cookies["csrftoken"].value != second.cookies["csrftoken"].value


def test_staff_signed_in_see_pages_rendered_for_them(admin_client, client, swedish):
    client.get("/services/")  # cached for anonymous visitors
    assert queries_for(admin_client, "/services/") > 0


def test_junk_query_parameters_are_not_cached(client, swedish):
    queries_for(client, "/services/?utm_source=x")
    assert queries_for(client, "/services/?utm_source=x") > 0


def test_the_booking_itself_never_trusts_cached_times(client, swedish):
    TherapistFactory(modalities=[swedish.modality], hours=ONE_HOUR_ON_WEDNESDAY)
    assert times(client) == ["2026-12-02T14:00:00-05:00"]
    # Rows written in bulk send no signals: the cached times go on offering 2 pm...
    taken = make_booking(swedish, at(TOMORROW, 14))
    times(client)  # (what the cache holds now, with 2 pm gone)
    booking_cancel(booking=taken)
    assert times(client) == ["2026-12-02T14:00:00-05:00"]
    Appointment.objects.filter(booking=taken).update(is_active=True)
    Booking.objects.filter(pk=taken.pk).update(status=Booking.Status.CONFIRMED)
    assert times(client) == ["2026-12-02T14:00:00-05:00"]

    # ...but booking it recomputes under lock and refuses.
    with pytest.raises(SlotTaken):
        make_booking(swedish, at(TOMORROW, 14))


def test_a_therapist_activated_after_a_booking_takes_the_next_one_at_that_time(swedish):
    TherapistFactory(modalities=[swedish.modality], hours=ONE_HOUR_ON_WEDNESDAY)
    newcomer = TherapistFactory(
        status=Therapist.Status.APPLICANT, modalities=[swedish.modality], hours="all"
    )
    # The first booking leaves the day's shortlist of therapists in the cache, without her.
    make_booking(swedish, at(TOMORROW, 14))
    with pytest.raises(SlotTaken):
        make_booking(swedish, at(TOMORROW, 14))

    newcomer.status = Therapist.Status.ACTIVE
    newcomer.save()

    booking = make_booking(swedish, at(TOMORROW, 14))
    assert [a.therapist for a in booking.appointments.all()] == [newcomer]


def test_a_second_booking_that_day_reads_the_shortlist_from_the_cache(swedish):
    TherapistFactory(modalities=[swedish.modality], hours="all")

    def therapist_reads(start):
        with CaptureQueriesContext(connection) as queries:
            make_booking(swedish, start)
        return sum(
            'FROM "therapists_therapist"' in query["sql"] and "FOR UPDATE" not in query["sql"]
            for query in queries
        )

    assert therapist_reads(at(TOMORROW, 10)) == 1
    assert therapist_reads(at(TOMORROW, 14)) == 0
