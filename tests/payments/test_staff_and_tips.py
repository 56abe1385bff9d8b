"""What staff see and do with money in admin (payments on a booking, refunds, payments due,
daily takings, therapists' earnings) and the client's tip page."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from booking.services import booking_cancel, booking_complete
from payments.models import Payment, TherapistShare
from payments.money import dollars, percent_of
from payments.selectors import therapist_earnings
from tests.booking.helpers import TOMORROW, at, make_booking, page_of
from tests.factories import ServiceFactory, TherapistFactory
from tests.pro.conftest import sign_in
from tests.stripe_fake import CARD_DECLINED_LATER, give_card, stripe_charges

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday_morning")]

START = at(TOMORROW, 14)


@pytest.fixture
def completed(booking, payments_on, time_machine, django_capture_on_commit_callbacks):
    """The booking fixture with a card, completed and charged $125.00."""
    with django_capture_on_commit_callbacks(execute=True):
        give_card(payments_on, booking)
    time_machine.move_to(START + timedelta(minutes=70), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        booking_complete(booking=booking)
    return booking


def _tip_url(booking):
    return reverse("payments:tip", kwargs={"token": booking.token})


def test_a_tip_from_the_receipt_link_is_charged_once(completed, client, payments_on):
    page = page_of(client.get(_tip_url(completed)))
    assert "15% ($18.75)" in page and "20% ($25.00)" in page and "25% ($31.25)" in page

    client.post(_tip_url(completed), {"percent": "20"})
    client.post(_tip_url(completed), {"amount": "40.00"})

    tip = completed.payments.get(purpose="tip")
    assert (tip.amount_cents, tip.status) == (2500, "succeeded")
    assert sorted(stripe_charges(payments_on)) == [(2500, "succeeded"), (12500, "succeeded")]
    assert "Your tip of $25.00 has been charged" in page_of(client.get(_tip_url(completed)))


def test_a_tip_of_another_amount_is_checked_next_to_the_field(completed, client, payments_on):
    response = client.post(_tip_url(completed), {"amount": "0.50"})

    assert "Ensure this value is greater than or equal to 1.00" in page_of(response)
    assert not completed.payments.filter(purpose="tip").exists()


def test_the_tip_link_closes_after_72_hours(completed, client, payments_on, time_machine):
    time_machine.move_to(START + timedelta(minutes=70, hours=72, seconds=1), tick=False)

    page = page_of(client.get(_tip_url(completed)))
    client.post(_tip_url(completed), {"percent": "20"})

    assert "this time has passed" in page
    assert not completed.payments.filter(purpose="tip").exists()


def test_the_tip_page_is_not_there_with_payments_off(booking, client):
    assert client.get(_tip_url(booking)).status_code == 404


def test_staff_see_a_bookings_payments_and_refund_part_of_one(completed, admin_client):
    payment = completed.payments.get()
    page = page_of(admin_client.get(f"/admin/booking/booking/{completed.pk}/change/"))
    assert "Massage" in page and "$125.00" in page and "Paid" in page

    refund_url = reverse("admin:payments_payment_refund", args=[payment.pk])
    assert 'value="125.00"' in page_of(admin_client.get(refund_url))
    response = admin_client.post(refund_url, {"amount": "200.00", "reason": ""})
    assert "not refunded" in page_of(response)
    admin_client.post(refund_url, {"amount": "25.00", "reason": "Started late"})

    assert list(payment.refunds.values_list("amount_cents", "reason")) == [(2500, "Started late")]
    refunded = page_of(admin_client.get("/admin/payments/payment/?refunded=yes"))
    assert completed.reference in refunded
    bookings = page_of(admin_client.get("/admin/booking/booking/?payment=refunded"))
    assert completed.reference in bookings


def test_staff_see_every_payment_due(
    booking, payments_on, admin_client, time_machine, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        give_card(payments_on, booking, CARD_DECLINED_LATER)
    time_machine.move_to(START + timedelta(minutes=70), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        booking_complete(booking=booking)

    due = page_of(admin_client.get("/admin/booking/booking/?payment=due"))
    assert booking.reference in due
    listed = page_of(admin_client.get("/admin/payments/payment/?status__exact=failed"))
    assert booking.reference in listed and "Payment due" in listed


def test_the_daily_takings_add_up_charges_fees_tips_and_refunds(
    completed, payments_on, admin_client, client, django_assert_num_queries
):
    client.post(_tip_url(completed), {"percent": "20"})
    payment = completed.payments.get(purpose="charge")
    admin_client.post(
        reverse("admin:payments_payment_refund", args=[payment.pk]), {"amount": "10.00"}
    )

    page = page_of(admin_client.get(reverse("admin:payments_payment_takings")))

    # Wed, Dec 2: $125.00 charged, $25.00 tips, $10.00 refunded, $140.00 net.
    assert "Wed, Dec 2 2026</td><td>$125.00</td><td>$0.00</td><td>$25.00</td><td>$10.00</td>" in (
        page
    )
    assert "<td>$140.00</td>" in page


def test_earnings_give_the_share_of_the_price_all_tips_and_most_of_the_fees(
    payments_on, maya, swedish, time_machine, django_capture_on_commit_callbacks, client
):
    TherapistShare.objects.create(therapist=maya, percent=70)
    massage = make_booking(swedish, START)
    cancelled = make_booking(swedish, at(TOMORROW, 18), client_email="bo@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        give_card(payments_on, massage)
        give_card(payments_on, cancelled)
    time_machine.move_to(START + timedelta(minutes=70), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        booking_complete(booking=massage)
        booking_cancel(booking=cancelled)
    client.post(_tip_url(massage), {"amount": "30.00"})

    lines = therapist_earnings(therapist=maya, start=TOMORROW, end=TOMORROW)

    # 70% of $125.00 and the $30.00 tip; 75% of the $62.50 late fee.
    assert [(ln.price_share, ln.tips, ln.fees) for ln in lines] == [(8750, 3000, 0), (0, 0, 4688)]


def test_a_side_by_side_couples_tip_is_split_between_the_two_therapists(
    payments_on, maya, time_machine, django_capture_on_commit_callbacks, client
):
    couples = ServiceFactory(
        slug="couples",
        kind="couples_side_by_side",
        modality=maya.modalities.first(),
        prices={60: "240.00"},
    )
    other = TherapistFactory(modalities=[maya.modalities.first()], hours="all")
    booking = make_booking(couples, START)
    with django_capture_on_commit_callbacks(execute=True):
        give_card(payments_on, booking)
    time_machine.move_to(START + timedelta(minutes=70), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        booking_complete(booking=booking)
    client.post(_tip_url(booking), {"amount": "45.01"})

    mine = therapist_earnings(therapist=maya, start=TOMORROW, end=TOMORROW)
    theirs = therapist_earnings(therapist=other, start=TOMORROW, end=TOMORROW)

    # One $240.00 charge: 60% is $144.00, $72.00 each; the $45.01 tip, the odd cent to one.
    assert sorted(
        [(mine[0].price_share, mine[0].tips), (theirs[0].price_share, theirs[0].tips)]
    ) == [
        (7200, 2250),
        (7200, 2251),
    ]
    assert Payment.objects.filter(purpose="charge").count() == 1


def _paid(booking, purpose, amount_cents):
    payment = Payment.objects.create(
        booking=booking,
        purpose=purpose,
        amount_cents=amount_cents,
        status="succeeded",
        idempotency_key=f"booking-{booking.pk}-{purpose}",
        succeeded_at=booking.starts_at,
    )
    payment.refunds.create(amount_cents=100, stripe_id=f"re_{booking.pk}_{purpose}")
    return payment


@pytest.mark.parametrize(
    "url", ["/admin/payments/payment/", "/admin/payments/payment/takings/"], ids=["list", "takings"]
)
def test_the_payment_pages_run_the_same_queries_for_one_payment_or_many(
    admin_client, booking, swedish, django_assert_num_queries, url
):
    _paid(booking, "charge", 12500)
    admin_client.get(url)
    with CaptureQueriesContext(connection) as one:
        admin_client.get(url)
    for hour in (16, 18):
        other = make_booking(swedish, at(TOMORROW, hour), client_email=f"c{hour}@example.com")
        _paid(other, "charge", 12500)
        _paid(other, "tip", 2000)

    with django_assert_num_queries(len(one)):
        response = admin_client.get(url)

    assert response.status_code == 200


def test_the_therapist_sees_the_weeks_earnings_in_the_portal(
    completed, client, payments_on, settings
):
    therapist = completed.appointments.get().therapist
    client.post(_tip_url(completed), {"percent": "20"})
    sign_in(client, therapist.email)

    page = page_of(client.get("/pro/earnings/"))

    earned = percent_of(12500, settings.THERAPIST_SHARE_PERCENT) + 2500
    assert f"Week of Mon, Nov 30: {dollars(earned)}" in page
    assert "Wed, Dec 2 · Swedish massage" in page and "(tip $25.00)" in page


def test_with_payments_off_the_earnings_page_says_the_client_pays_the_therapist(client):
    therapist = TherapistFactory(email="tess@example.com")
    sign_in(client, therapist.email)

    page = page_of(client.get("/pro/earnings/"))

    assert "Clients pay you after the massage" in page
