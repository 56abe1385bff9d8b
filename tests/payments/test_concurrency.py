"""Two workers given the same charge at the same moment: one asks Stripe, the other finds it
paid."""

import threading

import pytest
from django.db import connection

from payments.models import Payment
from payments.services import payment_charge
from tests.booking.helpers import TOMORROW, at, make_booking
from tests.stripe_fake import give_card, stripe_charges

START = at(TOMORROW, 14)


@pytest.mark.django_db(transaction=True)
def test_two_workers_charging_at_once_charge_once(swedish, maya, payments_on, time_machine):
    time_machine.move_to(at(TOMORROW, 9), tick=False)
    booking = make_booking(swedish, START)
    give_card(payments_on, booking)
    # Owed and not yet charged, as when the after-commit publish and the sweep both deliver it.
    payment = Payment.objects.create(
        booking=booking, purpose="charge", amount_cents=12500, idempotency_key="booking-1-charge"
    )
    barrier, errors = threading.Barrier(2), []

    def charge():
        try:
            barrier.wait(timeout=10)
            payment_charge(payment_id=payment.pk)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=charge) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)

    assert errors == []
    payment.refresh_from_db()
    assert (payment.status, payment.attempts) == ("succeeded", 1)
    assert stripe_charges(payments_on) == [(12500, "succeeded")]
