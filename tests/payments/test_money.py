"""Money moves exactly once: what the client is charged (in cents, as Stripe holds it) when a
massage is completed, cancelled late, missed, declined, refunded; with the charge task and the
webhooks run more than once."""

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
import requests
from django.core.exceptions import ValidationError
from django.urls import reverse

from booking.models import Booking, Notification
from booking.notifications.messages import notification_message
from booking.services import booking_cancel, booking_complete, booking_mark_no_show
from payments.models import Payment, Refund, StripeEvent
from payments.services import payment_refund
from payments.tasks import payment_charge, payments_due_retry
from tests.booking.helpers import TOMORROW, at, make_booking
from tests.stripe_fake import (
    CARD_DECLINED_LATER,
    SECRET_KEY,
    WEBHOOK_SECRET,
    give_card,
    stripe_charges,
    stripe_events,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday_morning")]

START = at(TOMORROW, 14)  # the booking fixture's time: Wed 2 pm, $125.00 for 60 minutes


@pytest.fixture
def carded(booking, payments_on, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        give_card(payments_on, booking)
    return booking


def _run(callbacks, action):
    with callbacks(execute=True):
        return action()


def _kinds(booking) -> list[str]:
    return list(booking.notifications.order_by("id").values_list("kind", flat=True))


def test_completing_charges_the_price_once_however_often_the_task_runs(
    carded, payments_on, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(START + timedelta(minutes=70), tick=False)

    _run(django_capture_on_commit_callbacks, lambda: booking_complete(booking=carded))
    [payment] = carded.payments.all()
    payment_charge.apply(args=(payment.pk,))
    payment_charge.apply(args=(payment.pk,))

    payment.refresh_from_db()
    assert (payment.purpose, payment.amount_cents, payment.status) == ("charge", 12500, "succeeded")
    assert payment.attempts == 1
    assert stripe_charges(payments_on) == [(12500, "succeeded")]
    assert _kinds(carded).count(Notification.Kind.CLIENT_RECEIPT) == 1


def test_a_late_cancellation_charges_half_the_price(
    carded, payments_on, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(START - timedelta(hours=23), tick=False)

    booking = _run(django_capture_on_commit_callbacks, lambda: booking_cancel(booking=carded))

    assert booking.late_cancellation is True
    assert list(booking.payments.values_list("purpose", "amount_cents", "status")) == [
        ("late_fee", 6250, "succeeded")
    ]
    assert stripe_charges(payments_on) == [(6250, "succeeded")]


def test_an_early_cancellation_charges_nothing(
    carded, payments_on, django_capture_on_commit_callbacks
):
    booking = _run(django_capture_on_commit_callbacks, lambda: booking_cancel(booking=carded))

    assert booking.late_cancellation is False
    assert not booking.payments.exists()
    assert stripe_charges(payments_on) == []


def test_our_cancellation_inside_the_window_is_not_late_and_charges_nothing(
    carded, payments_on, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(START - timedelta(hours=2), tick=False)

    booking = _run(
        django_capture_on_commit_callbacks,
        lambda: booking_cancel(booking=carded, by_staff=True),
    )

    assert booking.status == Booking.Status.CANCELLED
    assert booking.late_cancellation is False
    assert not booking.payments.exists()
    assert stripe_charges(payments_on) == []


def test_a_no_show_charges_the_full_price_after_the_grace_period(
    carded, payments_on, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(START + timedelta(minutes=10), tick=False)
    with pytest.raises(ValidationError, match="from 2:15 pm, 15 minutes after the start"):
        booking_mark_no_show(booking=carded)
    assert stripe_charges(payments_on) == []

    time_machine.move_to(START + timedelta(minutes=15), tick=False)
    _run(django_capture_on_commit_callbacks, lambda: booking_mark_no_show(booking=carded))
    _run(
        django_capture_on_commit_callbacks,
        lambda: payment_charge.apply(args=(carded.payments.get().pk,)),
    )

    assert list(carded.payments.values_list("purpose", "amount_cents", "status")) == [
        ("no_show_fee", 12500, "succeeded")
    ]
    assert stripe_charges(payments_on) == [(12500, "succeeded")]


def test_a_declined_card_leaves_the_payment_due_until_the_client_gives_another(
    booking, payments_on, time_machine, django_capture_on_commit_callbacks, client
):
    _run(
        django_capture_on_commit_callbacks,
        lambda: give_card(payments_on, booking, CARD_DECLINED_LATER),
    )
    time_machine.move_to(START + timedelta(minutes=70), tick=False)

    _run(django_capture_on_commit_callbacks, lambda: booking_complete(booking=booking))

    payment = booking.payments.get()
    assert (payment.status, payment.amount_cents) == ("failed", 12500)
    assert Payment.objects.due().get() == payment
    assert stripe_charges(payments_on) == [(12500, "requires_payment_method")]
    notice = booking.notifications.get(kind=Notification.Kind.CLIENT_PAYMENT_DUE)
    email = notification_message(notice)
    card_url = reverse("payments:card", kwargs={"token": booking.token})
    assert email.subject.startswith("Your card was declined")
    assert "Amount due: $125.00" in email.body and card_url in email.body
    page = client.get(reverse("payments:card", kwargs={"token": booking.token}))
    assert "Amount due: <strong>$125.00</strong>" in page.content.decode()
    detail = client.get(booking.get_absolute_url()).content.decode()
    assert "Your card was declined: <strong>$125.00</strong> is due" in detail

    _run(django_capture_on_commit_callbacks, lambda: give_card(payments_on, booking))

    payment.refresh_from_db()
    assert (payment.status, payment.attempts) == ("succeeded", 2)
    assert sorted(stripe_charges(payments_on)) == [
        (12500, "requires_payment_method"),
        (12500, "succeeded"),
    ]
    assert not Payment.objects.due().exists()


def test_a_partial_then_full_refund_goes_back_to_the_card_and_no_further(
    carded, payments_on, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(START + timedelta(minutes=70), tick=False)
    _run(django_capture_on_commit_callbacks, lambda: booking_complete(booking=carded))
    payment = carded.payments.get()

    payment_refund(payment=payment, amount_cents=5000, reason="Started late")
    payment_refund(payment=payment, amount_cents=7500)
    with pytest.raises(ValidationError, match="not refunded"):
        payment_refund(payment=payment, amount_cents=1)

    assert sorted(payment.refunds.values_list("amount_cents", flat=True)) == [5000, 7500]
    charge = _stripe_get(payments_on, f"/v1/charges/{payment.charge_id}")
    assert (charge["amount"], charge["amount_refunded"], charge["refunded"]) == (12500, 12500, True)
    assert stripe_charges(payments_on) == [(12500, "succeeded")]


def _stripe_get(base, path):
    response = requests.get(
        base + path, headers={"Authorization": f"Bearer {SECRET_KEY}"}, timeout=5
    )
    return response.json()


def _signed(payload: bytes, secret: str = WEBHOOK_SECRET) -> str:
    timestamp = int(time.time())
    signature = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={signature}"


def _deliver(client, event: dict, secret: str = WEBHOOK_SECRET):
    payload = json.dumps(event).encode()
    return client.post(
        reverse("payments:webhook"),
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=_signed(payload, secret),
    )


def test_a_redelivered_webhook_changes_our_records_once(
    carded, payments_on, time_machine, django_capture_on_commit_callbacks, client
):
    """The charge succeeded at Stripe but the worker died before saving it: Stripe's
    payment_intent.succeeded event, delivered twice, settles it once, with one receipt."""
    time_machine.move_to(START + timedelta(minutes=70), tick=False)
    _run(django_capture_on_commit_callbacks, lambda: booking_complete(booking=carded))
    payment = carded.payments.get()
    Payment.objects.filter(pk=payment.pk).update(status="pending", payment_intent_id="")
    carded.notifications.filter(kind=Notification.Kind.CLIENT_RECEIPT).delete()
    [event] = stripe_events(payments_on, "payment_intent.succeeded")

    first, second = _deliver(client, event), _deliver(client, event)

    assert (first.status_code, second.status_code) == (200, 200)
    payment.refresh_from_db()
    assert (payment.status, payment.amount_cents) == ("succeeded", 12500)
    assert StripeEvent.objects.filter(event_id=event["id"]).count() == 1
    assert _kinds(carded).count(Notification.Kind.CLIENT_RECEIPT) == 1
    assert stripe_charges(payments_on) == [(12500, "succeeded")]


def test_a_refund_made_at_stripe_is_recorded_once_from_its_webhook(
    carded, payments_on, time_machine, django_capture_on_commit_callbacks, client
):
    time_machine.move_to(START + timedelta(minutes=70), tick=False)
    _run(django_capture_on_commit_callbacks, lambda: booking_complete(booking=carded))
    payment = carded.payments.get()
    requests.post(
        f"{payments_on}/v1/refunds",
        data={"payment_intent": payment.payment_intent_id, "amount": 2500},
        headers={"Authorization": f"Bearer {SECRET_KEY}"},
        timeout=5,
    ).raise_for_status()
    charge = _stripe_get(payments_on, f"/v1/charges/{payment.charge_id}")
    event = {"id": "evt_refund_1", "type": "charge.refunded", "data": {"object": charge}}

    _deliver(client, event)
    _deliver(client, event)

    assert list(payment.refunds.values_list("amount_cents", flat=True)) == [2500]


def test_a_webhook_with_a_bad_signature_is_refused_and_changes_nothing(
    carded, payments_on, time_machine, django_capture_on_commit_callbacks, client
):
    time_machine.move_to(START + timedelta(minutes=70), tick=False)
    _run(django_capture_on_commit_callbacks, lambda: booking_complete(booking=carded))
    payment = carded.payments.get()
    Payment.objects.filter(pk=payment.pk).update(status="pending")
    [event] = stripe_events(payments_on, "payment_intent.succeeded")

    response = _deliver(client, event, secret="whsec_someone_else")

    assert response.status_code == 400
    payment.refresh_from_db()
    assert payment.status == "pending"
    assert not StripeEvent.objects.exists()
    assert not Refund.objects.exists()


def test_with_payments_off_completing_charges_nothing(booking, time_machine):
    time_machine.move_to(START + timedelta(minutes=70), tick=False)

    booking_complete(booking=booking)

    assert not Payment.objects.exists()


def test_a_couple_is_charged_once_for_the_couple(
    payments_on, maya, time_machine, django_capture_on_commit_callbacks
):
    from tests.factories import ServiceFactory, TherapistFactory

    couples = ServiceFactory(
        slug="couples",
        kind="couples_side_by_side",
        modality=maya.modalities.first(),
        prices={60: "240.00"},
    )
    TherapistFactory(modalities=[maya.modalities.first()], hours="all")
    booking = make_booking(couples, START)
    _run(django_capture_on_commit_callbacks, lambda: give_card(payments_on, booking))
    time_machine.move_to(START + timedelta(minutes=70), tick=False)

    _run(django_capture_on_commit_callbacks, lambda: booking_complete(booking=booking))

    assert stripe_charges(payments_on) == [(24000, "succeeded")]


def test_a_declined_card_is_tried_again_daily_three_times_in_all(
    booking, payments_on, time_machine, django_capture_on_commit_callbacks
):
    _run(
        django_capture_on_commit_callbacks,
        lambda: give_card(payments_on, booking, CARD_DECLINED_LATER),
    )
    time_machine.move_to(START + timedelta(minutes=70), tick=False)
    _run(django_capture_on_commit_callbacks, lambda: booking_complete(booking=booking))

    for day in range(1, 5):
        time_machine.move_to(START + timedelta(days=day, minutes=70), tick=False)
        _run(django_capture_on_commit_callbacks, payments_due_retry.apply)

    payment = booking.payments.get()
    assert (payment.status, payment.attempts) == ("failed", 3)
    assert stripe_charges(payments_on) == [(12500, "requires_payment_method")] * 3


def test_a_failed_payment_webhook_marks_a_pending_charge_due_once(
    carded, payments_on, time_machine, django_capture_on_commit_callbacks, client
):
    time_machine.move_to(START + timedelta(minutes=70), tick=False)
    _run(django_capture_on_commit_callbacks, lambda: booking_complete(booking=carded))
    payment = carded.payments.get()
    Payment.objects.filter(pk=payment.pk).update(status="pending")
    event = {
        "id": "evt_failed_1",
        "type": "payment_intent.payment_failed",
        "data": {
            "object": {
                "id": payment.payment_intent_id,
                "metadata": {"payment": payment.idempotency_key},
                "last_payment_error": {"message": "Your card has insufficient funds."},
            }
        },
    }

    _deliver(client, event)
    _deliver(client, event)

    payment.refresh_from_db()
    assert (payment.status, payment.last_error) == ("failed", "Your card has insufficient funds.")
    assert _kinds(carded).count(Notification.Kind.CLIENT_PAYMENT_DUE) == 1


def test_the_cancel_page_states_the_late_fee_in_dollars_before_the_client_confirms(
    carded, payments_on, time_machine, client
):
    cancel_url = reverse("booking:cancel", kwargs={"token": carded.token})
    assert "costs" not in client.get(cancel_url).content.decode()
    time_machine.move_to(START - timedelta(hours=23), tick=False)

    page = client.get(cancel_url).content.decode()

    assert "Cancelling now costs <strong>$62.50</strong> (50% of the price)" in page
    assert "It can no longer be moved online" in page
    assert stripe_charges(payments_on) == []


def test_the_booking_terms_give_the_fees_when_payments_are_on(client, settings, payments_on):
    page = client.get("/terms/").content.decode()

    assert "A late cancellation costs 50% of the price" in page
    assert "for a $100.00 massage, $50.00 and $100.00" in page


def test_the_booking_terms_say_the_therapist_is_paid_when_payments_are_off(client):
    page = client.get("/terms/").content.decode()

    assert "You pay your therapist after the massage." in page
