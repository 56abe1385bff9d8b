"""A medical massage's referral is valid for REFERRAL_VALID_MONTHS from its date, and a signed-in
client can reuse their own earlier referral while it is still valid."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from booking.models import Booking
from booking.validation import referral_valid_until
from clients.models import ClientAccount
from tests.booking.helpers import DAY, DETAILS, REFERRAL, TOMORROW, at, make_booking, page_of
from tests.booking.test_flow import choose_service, slot_value

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday_morning")]

EXPIRED = "A referral is valid for a year from its date"


def to_details(client, service, *, starts_at=None):
    choose_service(client, service)
    client.post("/book/time/", {"start": slot_value(starts_at or at(TOMORROW, 14))})


def sign_in(client, email):
    user = get_user_model().objects.create_user(username=email, email=email)
    ClientAccount.objects.create(user=user, email=email, verified_at=timezone.now())
    client.force_login(user)
    return user


def test_a_referral_runs_for_twelve_months_from_its_date():
    assert referral_valid_until(date(2025, 12, 2)) == date(2026, 12, 2)
    assert referral_valid_until(date(2024, 2, 29)) == date(2025, 2, 28)


def test_a_2009_referral_is_refused_next_to_its_date(client, medical):
    to_details(client, medical)

    response = client.post("/book/details/", DETAILS | REFERRAL | {"prescribed_on": "2009-05-01"})

    page = page_of(response)
    assert response.status_code == 200
    assert EXPIRED in page
    field = page[page.index('id="id_prescribed_on_group"') :]
    assert EXPIRED in field[: field.index("</div>")]
    assert not Booking.objects.exists()


def test_the_service_layer_refuses_an_expired_referral_too(medical):
    with pytest.raises(ValidationError) as refused:
        make_booking(medical, at(TOMORROW, 14), **REFERRAL | {"prescribed_on": date(2009, 5, 1)})

    assert EXPIRED in refused.value.message_dict["prescribed_on"][0]


def test_validity_is_judged_on_the_day_of_the_massage(client, medical):
    # TOMORROW is Dec 2 2026: a referral dated Dec 2 2025 covers it, one a day older doesn't.
    assert make_booking(
        medical, at(TOMORROW, 14), **REFERRAL | {"prescribed_on": date(2025, 12, 2)}
    )
    with pytest.raises(ValidationError):
        make_booking(medical, at(TOMORROW, 16), **REFERRAL | {"prescribed_on": date(2025, 12, 1)})


def test_the_validity_follows_its_setting(medical, settings):
    settings.REFERRAL_VALID_MONTHS = 6

    with pytest.raises(ValidationError) as refused:
        make_booking(medical, at(TOMORROW, 14), **REFERRAL | {"prescribed_on": date(2026, 5, 1)})

    assert "valid for 6 months" in refused.value.message_dict["prescribed_on"][0]


def earlier_referral(medical, email="ada@example.com", **overrides):
    """An earlier medical booking of Ada's, tomorrow morning, with Dr. Lee's referral."""
    return make_booking(
        medical,
        at(TOMORROW, 10),
        client_email=email,
        **REFERRAL | {"prescribed_on": date(2026, 6, 15)} | overrides,
    )


def test_a_signed_in_client_reuses_their_valid_referral(client, medical):
    earlier_referral(medical)
    sign_in(client, "ada@example.com")
    to_details(client, medical)

    page = page_of(client.get("/book/details/"))
    assert "Use my referral from Dr. Lee dated Jun 15, 2026" in page

    filled = page_of(
        client.post("/book/details/", {"use_referral": Booking.objects.get().reference})
    )
    assert 'value="Midtown Ortho"' in filled and 'value="2026-06-15"' in filled

    details = DETAILS | {
        "prescriber_name": "Dr. Lee",
        "prescriber_practice": "Midtown Ortho",
        "prescriber_phone": "+14045550100",
        "prescribed_on": "2026-06-15",
    }
    assert client.post("/book/details/", details)["Location"] == "/book/review/"
    client.post("/book/review/")
    booking = Booking.objects.latest("created_at")
    assert (booking.prescriber_practice, booking.prescribed_on) == (
        "Midtown Ortho",
        date(2026, 6, 15),
    )


def test_a_client_can_never_reuse_another_clients_referral_by_its_reference(client, medical):
    theirs = earlier_referral(medical, email="someone@example.com", prescriber_name="Dr. Secret")
    sign_in(client, "ada@example.com")
    to_details(client, medical)

    assert "Dr. Secret" not in page_of(client.get("/book/details/"))
    response = client.post("/book/details/", {"use_referral": theirs.reference})

    page = page_of(response)
    assert response.status_code == 200
    assert "That referral can't be used for this massage" in page
    assert "Dr. Secret" not in page and "Midtown Ortho" not in page


def test_a_referral_that_runs_out_before_the_massage_is_not_offered(client, medical):
    # Valid on Dec 2 for the earlier massage, run out by Dec 3.
    earlier_referral(medical, prescribed_on=date(2025, 12, 2))
    sign_in(client, "ada@example.com")
    to_details(client, medical, starts_at=at(DAY, 14))

    assert "Use my referral" not in page_of(client.get("/book/details/"))
    page = page_of(client.post("/book/details/", {"use_referral": Booking.objects.get().reference}))
    assert "Midtown Ortho" not in page


def test_a_guest_is_offered_no_referral(client, medical):
    earlier_referral(medical)
    to_details(client, medical)

    assert "Use my referral" not in page_of(client.get("/book/details/"))
