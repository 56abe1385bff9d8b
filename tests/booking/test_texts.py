"""Texts: the channel beside email in the outbox, the client's consent, STOP and START, and
Twilio's answers. Tasks run inline here, against a fake of Twilio's Messages API on loopback
(``tests/booking/twilio_fake.py``); tests with a real worker are in test_texts_worker.py."""

import logging
import re
import socket
from datetime import UTC, timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from twilio.request_validator import RequestValidator

from booking.job_actions import job_on_my_way, job_running_late
from booking.models import Booking, Notification, TextOptOut
from booking.notifications.delivery import notification_send_now
from booking.notifications.outbox import notification_sweep_run, reminder_queue_due
from booking.retention import ANONYMISED_PHONE, booking_anonymise_ended
from booking.services import booking_cancel, booking_reassign, booking_reschedule
from tests.booking.helpers import BODY, DETAILS, TODAY, TOMORROW, at, make_booking, page_of, post
from tests.booking.test_admin import PHONE
from tests.booking.twilio_fake import AUTH_TOKEN, FROM_NUMBER, inbound
from tests.factories import TherapistFactory
from tests.test_foundation import manage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday_morning")]

Kind = Notification.Kind
Status = Notification.Status
SMS = Notification.Channel.SMS
ADA = "+14045550123"  # the number make_booking books with
HEALTH = "Sore left shoulder"  # the health notes make_booking books with

# The GSM-7 basic alphabet: a text in it alone fits 160 characters in one message.
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


def book(swedish, django_capture_on_commit_callbacks, **overrides):
    """Ada's massage tomorrow (Wed, Dec 2) at 2:00 pm, with its messages sent on commit."""
    with django_capture_on_commit_callbacks(execute=True):
        return make_booking(swedish, at(TOMORROW, 14), **overrides)


def texts(**filters):
    return Notification.objects.filter(channel=SMS, **filters)


def send_all():
    for pk in Notification.objects.filter(status=Status.PENDING).values_list("pk", flat=True):
        notification_send_now(notification_id=pk)


def assert_one_short_text(body: str) -> None:
    assert set(body) <= GSM7, set(body) - GSM7
    assert len(body) <= 160, f"{len(body)} characters: {body}"


# What goes out, and to whom ------------------------------------------------------------------


def test_a_client_who_asked_for_texts_is_texted_the_time_and_a_private_link(
    swedish, maya, twilio, settings, django_capture_on_commit_callbacks
):
    booking = book(swedish, django_capture_on_commit_callbacks, text_consent=True)

    assert booking.text_consent_at == timezone.now()
    [text] = twilio.to(ADA)
    assert text == (
        "Spa Theory: you're booked for Wed, Dec 2 at 2:00 pm. "
        f"Details: {settings.SITE_URL}/booking/{booking.token}/ Reply STOP to end."
    )
    assert HEALTH not in text and "Swedish" not in text
    assert_one_short_text(text)
    assert {message["From"] for message in twilio.received} == {FROM_NUMBER}
    assert {message["content_type"] for message in twilio.received} == {
        "application/x-www-form-urlencoded"
    }

    row = texts(kind=Kind.CLIENT_CONFIRMATION).get()
    assert (row.recipient, row.status, row.attempts) == (ADA, Status.SENT, 1)
    assert row.provider_id.startswith("SM")
    # The emails go as before.
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        ["ada@example.com", maya.email, "bookings@spatheory.com"]
    )


def test_the_therapist_is_texted_the_job_with_its_private_link_and_no_client_details(
    swedish, maya, twilio, settings, django_capture_on_commit_callbacks
):
    booking = book(swedish, django_capture_on_commit_callbacks)

    [text] = twilio.to(maya.phone)
    appointment = booking.appointments.get()
    assert text == (
        "Spa Theory: new job Wed, Dec 2 at 2:00 pm, 60 min Swedish massage, Atlanta 30309. "
        f"Details: {settings.SITE_URL}/jobs/{appointment.job_token}/"
    )
    for private in (HEALTH, "Ada", "Peachtree", ADA):
        assert private not in text
    assert_one_short_text(text)


def test_a_client_who_did_not_ask_for_texts_gets_none(
    swedish, maya, twilio, django_capture_on_commit_callbacks
):
    booking = book(swedish, django_capture_on_commit_callbacks)
    booking_cancel(booking=booking)
    send_all()

    assert booking.text_consent_at is None
    assert twilio.to(ADA) == []
    assert not texts(recipient=ADA).exists()
    # The therapist hears of the job and of its cancellation.
    assert len(twilio.to(maya.phone)) == 2


def test_changes_are_texted_to_the_client_and_each_therapist_concerned(
    swedish, maya, twilio, django_capture_on_commit_callbacks
):
    booking = book(swedish, django_capture_on_commit_callbacks, text_consent=True)
    with django_capture_on_commit_callbacks(execute=True):
        booking_reschedule(booking=booking, starts_at=at(TOMORROW, 16))
    assert twilio.to(ADA)[-1].startswith("Spa Theory: your massage has moved to Wed, Dec 2 at 4:00")
    assert twilio.to(maya.phone)[-1].startswith("Spa Theory: job moved to Wed, Dec 2 at 4:00 pm")

    nia = TherapistFactory(first_name="Nia", modalities=[swedish.modality], hours="all")
    with django_capture_on_commit_callbacks(execute=True):
        booking_reassign(appointment=booking.appointments.active().get(), therapist=nia)
    assert twilio.to(maya.phone)[-1].startswith("Spa Theory: job cancelled, you're no longer")
    assert "Details:" not in twilio.to(maya.phone)[-1]
    assert twilio.to(nia.phone)[-1].startswith("Spa Theory: new job Wed, Dec 2 at 4:00 pm")
    assert twilio.to(ADA)[-1].startswith("Spa Theory: new therapist for Wed, Dec 2 at 4:00 pm.")

    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking)
    assert twilio.to(ADA)[-1].startswith("Spa Theory: your massage on Wed, Dec 2 at 4:00 pm is")
    assert twilio.to(nia.phone)[-1].startswith("Spa Theory: job cancelled")
    for body in twilio.to(ADA) + twilio.to(maya.phone) + twilio.to(nia.phone):
        assert_one_short_text(body)
    assert len(twilio.received) == len(twilio.accepted) == 9


def test_on_my_way_and_running_late_reach_a_client_who_opted_in_by_text(
    swedish, maya, twilio, tuesday_morning, django_capture_on_commit_callbacks
):
    booking = book(swedish, django_capture_on_commit_callbacks, text_consent=True)
    job = booking.appointments.active().get()
    tuesday_morning.move_to(at(TOMORROW, 13, 20), tick=False)

    with django_capture_on_commit_callbacks(execute=True):
        job_on_my_way(appointment=job, therapist=maya)
    assert (
        twilio.to(ADA)[-1] == "Spa Theory: Maya is on the way, arriving 2:00 pm. Reply STOP to end."
    )

    with django_capture_on_commit_callbacks(execute=True):
        job_running_late(appointment=job, therapist=maya, minutes=20, request_key="late-1")
    assert twilio.to(ADA)[-1] == (
        "Spa Theory: Maya is running late, arriving 2:20 pm. Reply STOP to end."
    )


def test_a_client_who_did_not_opt_in_hears_on_my_way_by_email_only(
    swedish, maya, twilio, tuesday_morning, django_capture_on_commit_callbacks
):
    booking = book(swedish, django_capture_on_commit_callbacks)
    job = booking.appointments.active().get()
    tuesday_morning.move_to(at(TOMORROW, 13, 20), tick=False)

    with django_capture_on_commit_callbacks(execute=True):
        job_on_my_way(appointment=job, therapist=maya)
    assert twilio.to(ADA) == []
    assert Notification.objects.filter(kind=Kind.CLIENT_ON_MY_WAY, channel=SMS).count() == 0
    assert Notification.objects.filter(kind=Kind.CLIENT_ON_MY_WAY).count() == 1


def test_the_reminder_goes_by_text_too_once_per_booking_and_time(
    swedish, maya, twilio, tuesday_morning
):
    booking = make_booking(swedish, at(TODAY + timedelta(days=3), 14), text_consent=True)
    send_all()
    tuesday_morning.move_to(at(TODAY + timedelta(days=2), 15), tick=False)

    assert reminder_queue_due() == 1
    assert reminder_queue_due() == 0
    send_all()

    email, text = Notification.objects.filter(kind=Kind.CLIENT_REMINDER).order_by("channel")
    assert (email.channel, text.channel) == (Notification.Channel.EMAIL, SMS)
    assert email.dedupe_key == text.dedupe_key == f"client_reminder:{booking.pk}:0"
    assert twilio.to(ADA)[-1].startswith("Spa Theory: see you soon! Your massage is Fri, Dec 4")
    # Keys are unique per channel: a second text with the reminder's key is refused.
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(
            booking=booking,
            kind=Kind.CLIENT_REMINDER,
            channel=SMS,
            recipient=ADA,
            dedupe_key=text.dedupe_key,
        )


def test_with_texts_off_a_text_is_logged_with_the_number_masked(
    swedish, maya, caplog, django_capture_on_commit_callbacks
):
    with caplog.at_level(logging.INFO, logger="booking.notifications.texting"):
        book(swedish, django_capture_on_commit_callbacks, text_consent=True)

    row = texts(recipient=ADA).get()
    assert (row.status, row.provider_id) == (Status.SENT, "")
    assert "Text to +1******0123 (texts are off, not sent): Spa Theory: you're booked" in (
        caplog.text
    )
    assert ADA not in caplog.text


# Twilio's answers ------------------------------------------------------------------------------


def test_a_transient_twilio_error_is_tried_again_later_and_the_text_goes_once(
    swedish, maya, twilio, time_machine, django_capture_on_commit_callbacks
):
    twilio.fail(ADA, 503, 20500, "Service unavailable")
    book(swedish, django_capture_on_commit_callbacks, text_consent=True)
    row = texts(recipient=ADA).get()
    assert (row.status, row.attempts) == (Status.PENDING, 1)
    assert "HTTP 503" in row.last_error
    assert row.next_attempt_at == timezone.now() + timedelta(seconds=2)

    twilio.fail(ADA, 429, 20429, "Too Many Requests")
    time_machine.shift(timedelta(seconds=2))
    send_all()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.PENDING, 2)
    assert "HTTP 429" in row.last_error

    time_machine.shift(timedelta(seconds=4))
    send_all()
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (Status.SENT, 3, "")
    assert len(twilio.to(ADA)) == 1
    assert [m["To"] for m in twilio.received].count(ADA) == 3


def test_an_invalid_number_fails_for_good_and_staff_are_alerted(
    swedish, maya, twilio, time_machine, caplog, django_capture_on_commit_callbacks
):
    twilio.fail(ADA, 400, 21211, f"The 'To' number {ADA} is not a valid phone number.")
    book(swedish, django_capture_on_commit_callbacks, text_consent=True)

    row = texts(recipient=ADA).get()
    assert (row.status, row.attempts) == (Status.FAILED, 1)
    assert "HTTP 400, error 21211" in row.last_error
    assert ADA not in row.last_error and "+1******0123" in row.last_error
    assert ADA not in caplog.text

    time_machine.shift(timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True):
        notification_sweep_run()
    [alert] = [m for m in mail.outbox if "could not be sent" in m.subject]
    assert alert.to == ["bookings@spatheory.com"]
    assert "Client: booking confirmed (text) to +14045550123" in alert.body
    assert "error 21211" in alert.body
    assert len(twilio.received) == 2  # the client's once, the therapist's


def test_a_number_twilio_reports_as_unsubscribed_is_remembered_as_opted_out(
    swedish, maya, twilio, django_capture_on_commit_callbacks
):
    twilio.fail(ADA, 400, 21610, "Attempt to send to unsubscribed recipient")
    booking = book(swedish, django_capture_on_commit_callbacks, text_consent=True)

    row = texts(recipient=ADA).get()
    assert row.status == Status.SKIPPED
    assert TextOptOut.objects.get(phone=ADA).opted_out_at == timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking)
    assert texts(recipient=ADA, kind=Kind.CLIENT_CANCELLED).get().status == Status.SKIPPED
    assert twilio.to(ADA) == []


# STOP and START ------------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["STOP", "stop", " Stop\n", "STOPALL", "Unsubscribe", "CANCEL"])
def test_stop_from_a_number_opts_it_out_and_twilio_gets_an_empty_reply(
    client, settings, twilio, word
):
    response = inbound(client, settings, word, sender=ADA)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert response.content.decode().endswith("<Response />")
    assert TextOptOut.objects.get(phone=ADA).opted_out_at == timezone.now()


@pytest.mark.parametrize("word", ["END", "QUIT"])
def test_every_opt_out_word_opts_out(client, settings, twilio, word):
    inbound(client, settings, word, sender=ADA)
    assert TextOptOut.objects.filter(phone=ADA, opted_out_at__isnull=False).exists()


def test_a_reply_that_is_not_a_keyword_changes_nothing(client, settings, twilio):
    response = inbound(client, settings, "Stop by at 3 instead?", sender=ADA)
    assert response.status_code == 200
    assert not TextOptOut.objects.exists()


@pytest.mark.parametrize("signature", ["", "bm90IFR3aWxpbydzIHNpZ25hdHVyZQ=="])
def test_a_request_without_twilios_signature_is_refused_and_changes_nothing(
    client, settings, twilio, signature
):
    response = inbound(client, settings, "STOP", sender=ADA, signature=signature)
    assert response.status_code == 403
    assert not TextOptOut.objects.exists()


def test_a_request_signed_for_another_number_is_refused(client, settings, twilio):
    path = reverse("booking:text_inbound")
    signed = {"From": "+14045550177", "Body": "STOP"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(settings.SITE_URL + path, signed)
    response = client.post(path, {**signed, "From": ADA}, HTTP_X_TWILIO_SIGNATURE=signature)
    assert response.status_code == 403
    assert not TextOptOut.objects.exists()


def test_with_texts_off_the_webhook_refuses_everything(client, settings):
    response = inbound(client, settings, "STOP", sender=ADA)
    assert response.status_code == 403
    assert not TextOptOut.objects.exists()


def test_the_webhook_takes_only_posts(client, twilio):
    assert client.get(reverse("booking:text_inbound")).status_code == 405


def test_pending_and_later_texts_to_a_number_that_replied_stop_are_not_sent_until_start(
    client, settings, swedish, maya, twilio, django_capture_on_commit_callbacks
):
    # Written, not yet sent (the broker was slow, say) when the client replies STOP.
    booking = make_booking(swedish, at(TOMORROW, 14), text_consent=True)
    inbound(client, settings, "STOP", sender=ADA)
    send_all()
    confirmation = texts(recipient=ADA).get()
    assert (confirmation.status, confirmation.last_error) == (
        Status.SKIPPED,
        "Not sent: the number replied STOP.",
    )
    assert twilio.to(ADA) == []
    assert len(twilio.to(maya.phone)) == 1  # others' texts go as before
    assert len([m for m in mail.outbox if m.to == ["ada@example.com"]]) == 1  # email too

    with django_capture_on_commit_callbacks(execute=True):
        booking_reschedule(booking=booking, starts_at=at(TOMORROW, 16))
    assert twilio.to(ADA) == []

    inbound(client, settings, "START", sender=ADA)
    assert TextOptOut.objects.get(phone=ADA).opted_out_at is None
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking)
    [text] = twilio.to(ADA)
    assert "is cancelled" in text


def test_a_therapist_who_replied_stop_gets_emails_and_no_texts(
    client, settings, swedish, maya, twilio, django_capture_on_commit_callbacks
):
    inbound(client, settings, "STOP", sender=maya.phone)
    book(swedish, django_capture_on_commit_callbacks)
    assert twilio.to(maya.phone) == []
    assert [m for m in mail.outbox if m.to == [maya.email]]


# Consent at booking ----------------------------------------------------------------------------


def box_ticked(page: str) -> bool:
    return re.search(r'<input[^>]*name="text_consent"[^>]*\bchecked', page) is not None


def start_booking(client, swedish):
    step_one = {
        "service": "swedish",
        "minutes": 60,
        "zip_code": "30309",
        "gender_preference": "any",
    }
    assert client.post(reverse("booking:book"), step_one).status_code == 302
    start = at(TOMORROW, 14).astimezone(UTC).isoformat()
    assert client.post(reverse("booking:book_time"), {"start": start}).status_code == 302


def test_the_details_step_asks_for_texts_with_the_box_unticked(client, swedish, maya):
    start_booking(client, swedish)
    page = page_of(client.get(reverse("booking:book_details")))
    assert "Text me about this booking" in page
    assert 'name="text_consent"' in page
    assert not box_ticked(page)
    assert "Reply STOP to any text and we'll send no more." in page


@pytest.mark.parametrize(("ticked", "shown"), [(True, "Yes, about this booking"), (False, "No")])
def test_the_answer_is_shown_for_review_and_stored_with_its_time(
    client, swedish, maya, ticked, shown
):
    start_booking(client, swedish)
    answers = DETAILS | ({"text_consent": "on"} if ticked else {})
    client.post(reverse("booking:book_details"), answers)
    review = page_of(client.get(reverse("booking:book_review")))
    assert f"<dt>Texts</dt><dd>{shown}" in review
    # Back to the details step, the answer is as it was.
    details = page_of(client.get(reverse("booking:book_details")))
    assert box_ticked(details) is ticked

    client.post(reverse("booking:book_review"))
    booking = Booking.objects.get()
    assert booking.text_consent_at == (timezone.now() if ticked else None)


def test_the_api_takes_the_clients_answer_about_texts(client, swedish, maya):
    response = post(client, "/api/bookings", BODY | {"client": BODY["client"] | {"texts": True}})
    assert response.status_code == 201
    assert Booking.objects.get(token=response.json()["token"]).text_consent_at == timezone.now()

    response = post(client, "/api/bookings", BODY | {"start": "2026-12-02T16:00:00-05:00"})
    assert response.status_code == 201
    assert Booking.objects.get(token=response.json()["token"]).text_consent_at is None


def test_the_api_refuses_an_answer_about_texts_that_is_not_true_or_false(client, swedish, maya):
    response = post(client, "/api/bookings", BODY | {"client": BODY["client"] | {"texts": "yes"}})
    assert response.status_code == 422
    assert "client.texts" in response.json()["errors"]
    assert not Booking.objects.exists()


# Admin -----------------------------------------------------------------------------------------


def test_staff_see_each_messages_channel_and_filter_by_it(
    front_desk_client, swedish, maya, django_capture_on_commit_callbacks
):
    book(swedish, django_capture_on_commit_callbacks, text_consent=True)
    changelist = reverse("admin:booking_notification_changelist")

    every = page_of(front_desk_client.get(changelist))
    assert "Channel" in every and "By channel" in every
    by_text = page_of(front_desk_client.get(changelist, {"channel__exact": "sms"}))
    assert ADA in by_text and maya.phone in by_text
    assert "ada@example.com" not in by_text
    by_email = page_of(front_desk_client.get(changelist, {"channel__exact": "email"}))
    assert "ada@example.com" in by_email and ADA not in by_email


# Settings --------------------------------------------------------------------------------------


def test_half_the_twilio_settings_stop_the_process_naming_what_is_missing():
    result = manage("check", TWILIO_ACCOUNT_SID="AC" + "1" * 32)
    assert result.returncode != 0
    assert "Texts need TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER set too" in result.stderr


def test_a_sending_number_that_is_not_a_phone_number_stops_the_process():
    twilio = {"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "token"}
    result = manage("check", **twilio, TWILIO_FROM_NUMBER="Spa Theory")
    assert result.returncode != 0
    assert "TWILIO_FROM_NUMBER must be a US phone number, not 'Spa Theory'" in result.stderr


def test_anonymising_an_old_booking_takes_the_clients_number_off_its_texts(
    swedish, maya, tuesday_morning
):
    booking = make_booking(swedish, at(TOMORROW, 14), text_consent=True)
    tuesday_morning.move_to(at(TODAY, 9) + timedelta(days=800), tick=False)
    booking_anonymise_ended()

    assert not Notification.objects.filter(recipient=ADA).exists()
    assert texts(booking=booking, kind=Kind.CLIENT_CONFIRMATION).get().recipient == ANONYMISED_PHONE
    assert texts(booking=booking, kind=Kind.THERAPIST_ASSIGNED).get().recipient == maya.phone


def test_staff_booking_by_phone_record_whether_the_client_asked_for_texts(
    admin_client, swedish, maya
):
    form = page_of(admin_client.get("/admin/booking/booking/book-by-phone/"))
    assert "The client asks for texts about this booking" in form

    admin_client.post(
        "/admin/booking/booking/book-by-phone/",
        PHONE | {"service": swedish.pk, "text_consent": "on"},
    )
    assert Booking.objects.get().text_consent_at == timezone.now()


def test_staff_see_the_numbers_that_opted_out_in_a_constant_number_of_queries(
    admin_client, client, settings, twilio, django_assert_num_queries
):
    changelist = reverse("admin:booking_textoptout_changelist")
    inbound(client, settings, "STOP", sender=ADA)
    admin_client.get(changelist)  # the session and permission caches are warm from here
    with CaptureQueriesContext(connection) as queries:
        assert admin_client.get(changelist).status_code == 200
    one_number = len(queries)  # now: the next request clears the log it reads
    for n in range(5):
        inbound(client, settings, "STOP", sender=f"+1404555017{n}")

    with django_assert_num_queries(one_number):
        page = page_of(admin_client.get(changelist))
    assert ADA in page and "+14045550174" in page


def test_when_twilio_cannot_be_reached_the_text_waits_for_its_next_try(
    swedish, maya, twilio, settings, django_capture_on_commit_callbacks
):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        settings.TWILIO_API_BASE = f"http://127.0.0.1:{probe.getsockname()[1]}"
    book(swedish, django_capture_on_commit_callbacks, text_consent=True)

    row = texts(recipient=ADA).get()
    assert (row.status, row.attempts) == (Status.PENDING, 1)
    assert row.next_attempt_at == timezone.now() + timedelta(seconds=2)
    assert "ConnectionError" in row.last_error
