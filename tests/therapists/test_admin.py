import io
from datetime import date, timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from tests.booking.helpers import page_of
from tests.factories import ModalityFactory, TherapistFactory, WorkingHoursFactory
from tests.images import TRAILING_HTML, camera_exif, image_upload
from therapists.models import Therapist, TimeOff, WorkingHours

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("june_15_noon")]

TODAY = date(2026, 6, 15)
CHANGELIST = reverse("admin:therapists_therapist_changelist")


def change_url(therapist):
    return reverse("admin:therapists_therapist_change", args=[therapist.pk])


def form_data(therapist, *, hours=(), time_off=(), **overrides):
    """What the admin change form posts for ``therapist``, with ``overrides`` typed in."""
    data = {}
    for name, value in model_to_dict(therapist, exclude=["id", "photo"]).items():
        if name == "modalities":
            data[name] = [modality.pk for modality in value]
        elif value is None:
            data[name] = ""
        elif isinstance(value, date):
            data[name] = value.isoformat()
        else:
            data[name] = value
    data.update(overrides)
    for prefix, rows in (("working_hours", hours), ("time_off", time_off)):
        data |= {
            f"{prefix}-TOTAL_FORMS": str(len(rows)),
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
        }
        for index, row in enumerate(rows):
            data |= {f"{prefix}-{index}-{key}": value for key, value in row.items()}
    return data


def run_action(client, action, *therapists):
    response = client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [therapist.pk for therapist in therapists]},
        follow=True,
    )
    return response, [str(message) for message in get_messages(response.wsgi_request)]


def test_changelist_warns_about_the_first_credential_to_expire(admin_client):
    TherapistFactory(display_name="Steady S.", insurance_expires_on=date(2027, 3, 1))
    TherapistFactory(display_name="Soon S.", insurance_expires_on=TODAY + timedelta(days=10))
    TherapistFactory(display_name="Lapsed L.", licence_expires_on=TODAY - timedelta(days=1))
    TherapistFactory(display_name="Blank B.", background_check_valid_until=None)

    html = admin_client.get(CHANGELIST).content.decode()

    assert "Insurance · Mar 1, 2027" in html
    assert "⚠ Insurance expires Jun 25, 2026 (in 10 days)" in html
    assert "⚠ Licence expired Jun 14, 2026" in html
    assert "⚠ Missing: background check" in html


def test_changelist_lists_status_and_modalities(admin_client):
    swedish = ModalityFactory(name="Swedish", slug="swedish")
    sleep = ModalityFactory(name="Sleep", slug="sleep")
    TherapistFactory(display_name="Maya R.", modalities=[sleep, swedish])

    html = admin_client.get(CHANGELIST).content.decode()

    assert "Maya R." in html
    assert "Active" in html
    assert "Sleep, Swedish" in html


def changelist_queries(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(CHANGELIST).status_code == 200
    return len(queries)


def test_changelist_query_count_does_not_grow_with_the_number_of_therapists(admin_client):
    modalities = [ModalityFactory(name=f"M{n}", slug=f"m{n}") for n in range(3)]
    TherapistFactory(modalities=modalities, hours="all")
    with_one = changelist_queries(admin_client)
    TherapistFactory.create_batch(9, modalities=modalities, hours="all")

    assert changelist_queries(admin_client) == with_one


def names_listed(client, query):
    return {
        therapist.display_name
        for therapist in client.get(CHANGELIST + query).context["cl"].result_list
    }


def test_filters_find_credentials_expiring_soon_and_expired(admin_client, settings):
    settings.CREDENTIAL_WARNING_DAYS = 30
    TherapistFactory(display_name="Fine F.")
    TherapistFactory(display_name="Soon S.", licence_expires_on=TODAY + timedelta(days=30))
    TherapistFactory(display_name="Today T.", background_check_valid_until=TODAY)
    TherapistFactory(display_name="Later L.", insurance_expires_on=TODAY + timedelta(days=31))
    TherapistFactory(display_name="Gone G.", insurance_expires_on=TODAY - timedelta(days=1))
    TherapistFactory(display_name="Blank B.", licence_expires_on=None)

    assert names_listed(admin_client, "?credentials=expiring") == {"Soon S.", "Today T."}
    assert names_listed(admin_client, "?credentials=expired") == {"Gone G."}
    assert names_listed(admin_client, "?credentials=missing") == {"Blank B."}


def test_filters_by_status_and_modality(admin_client):
    prenatal = ModalityFactory(name="Prenatal", slug="prenatal")
    TherapistFactory(display_name="Pre P.", modalities=[prenatal])
    TherapistFactory(display_name="Paused P.", status=Therapist.Status.PAUSED)

    assert names_listed(admin_client, f"?modalities__id__exact={prenatal.pk}") == {"Pre P."}
    assert names_listed(admin_client, "?status__exact=paused") == {"Paused P."}


def test_search_finds_licence_numbers_and_phones_typed_as_people_type_them(admin_client):
    TherapistFactory(display_name="Lic L.", licence_number="MT777001")
    TherapistFactory(display_name="Phone P.", phone="+14045550177")
    TherapistFactory(display_name="Other O.")

    assert names_listed(admin_client, "?q=MT777001") == {"Lic L."}
    assert names_listed(admin_client, "?q=(404) 555-0177") == {"Phone P."}


def test_activate_is_refused_naming_the_missing_credential(vetting_client):
    applicant = TherapistFactory(
        display_name="Ava A.",
        status=Therapist.Status.APPLICANT,
        vetted_on=None,
        background_check_provider="",
        background_check_passed_on=None,
        background_check_valid_until=None,
    )

    response, messages = run_action(vetting_client, "activate", applicant)

    assert response.status_code == 200
    assert messages == ["Ava A. can't be activated: background check details are missing."]
    applicant.refresh_from_db()
    assert applicant.status == Therapist.Status.APPLICANT
    assert applicant.vetted_on is None
    assert applicant.history.count() == 1


def test_activate_is_refused_naming_the_expired_credential(vetting_client):
    paused = TherapistFactory(
        display_name="Ben B.",
        status=Therapist.Status.PAUSED,
        insurance_expires_on=date(2026, 6, 14),
    )

    _, messages = run_action(vetting_client, "activate", paused)

    assert messages == ["Ben B. can't be activated: liability insurance expired on Jun 14, 2026."]
    paused.refresh_from_db()
    assert paused.status == Therapist.Status.PAUSED


def status_errors(response) -> list[str]:
    """The errors shown next to the status field of an admin add or change form."""
    return response.context["adminform"].form.errors.get("status", [])


@pytest.mark.parametrize(
    "status", [Therapist.Status.PAUSED, Therapist.Status.ACTIVE], ids=["paused", "lapsed-active"]
)
def test_the_edit_form_refuses_status_active_with_expired_insurance(vetting_client, status):
    therapist = TherapistFactory(
        display_name="Ben B.", status=status, insurance_expires_on=date(2026, 6, 14)
    )
    before = model_to_dict(Therapist.objects.get(pk=therapist.pk))

    response = vetting_client.post(
        change_url(therapist), form_data(therapist, status="active", bio="Changed bio.")
    )

    refusal = "Ben B. can't be activated: liability insurance expired on Jun 14, 2026."
    assert response.status_code == 200
    assert status_errors(response) == [refusal]
    assert refusal in page_of(response)
    assert model_to_dict(Therapist.objects.get(pk=therapist.pk)) == before
    assert therapist.history.count() == 1


def test_the_edit_form_activates_a_therapist_whose_credentials_are_valid(vetting_client):
    paused = TherapistFactory(display_name="Dee D.", status=Therapist.Status.PAUSED)

    response = vetting_client.post(change_url(paused), form_data(paused, status="active"))

    assert response.status_code == 302
    paused.refresh_from_db()
    assert paused.status == Therapist.Status.ACTIVE
    assert paused.history.latest().history_user.username.startswith("vetting")


def test_the_edit_form_refuses_renewing_and_activating_with_an_expiry_still_past(vetting_client):
    paused = TherapistFactory(display_name="Fay F.", status=Therapist.Status.PAUSED)

    refused = vetting_client.post(
        change_url(paused),
        form_data(paused, status="active", licence_expires_on="2026-06-01"),
    )
    accepted = vetting_client.post(
        change_url(paused),
        form_data(paused, status="paused", licence_expires_on="2026-06-01"),
    )

    assert status_errors(refused) == [
        "Fay F. can't be activated: massage licence expired on Jun 1, 2026."
    ]
    assert accepted.status_code == 302
    paused.refresh_from_db()
    assert (paused.status, paused.licence_expires_on) == ("paused", date(2026, 6, 1))


def test_the_edit_form_cannot_bring_back_an_offboarded_therapist(vetting_client):
    gone = TherapistFactory(display_name="Gil G.", status=Therapist.Status.OFFBOARDED)

    response = vetting_client.post(change_url(gone), form_data(gone, status="active"))

    assert status_errors(response) == [
        "Gil G. has been offboarded; add them again as a new applicant."
    ]
    gone.refresh_from_db()
    assert gone.status == Therapist.Status.OFFBOARDED


def test_the_add_form_refuses_status_active_without_insurance(vetting_client):
    template = TherapistFactory()
    data = form_data(
        template,
        display_name="Hal H.",
        slug="hal-h",
        email="hal@example.com",
        status="active",
        insurance_carrier="",
    )

    refused = vetting_client.post(reverse("admin:therapists_therapist_add"), data)
    accepted = vetting_client.post(
        reverse("admin:therapists_therapist_add"),
        data | {"insurance_carrier": "Hartford Mutual", "vetted_on": "", "vetted_by": ""},
    )

    assert status_errors(refused) == [
        "Hal H. can't be activated: liability insurance details are missing."
    ]
    assert accepted.status_code == 302
    hal = Therapist.objects.get(slug="hal-h")
    assert hal.status == Therapist.Status.ACTIVE
    # Activating from the form is the vetting decision too, as with the Activate action.
    assert hal.vetted_on == TODAY
    assert str(hal.vetted_by_id) == vetting_client.session["_auth_user_id"]


def test_front_desk_can_still_edit_the_profile_of_a_therapist_whose_insurance_lapsed(
    front_desk_client,
):
    lapsed = TherapistFactory(insurance_expires_on=date(2026, 6, 14), bio="Old bio.")

    response = front_desk_client.post(change_url(lapsed), form_data(lapsed, bio="New bio."))

    assert response.status_code == 302
    lapsed.refresh_from_db()
    assert (lapsed.bio, lapsed.status) == ("New bio.", Therapist.Status.ACTIVE)


def test_activate_records_who_vetted_and_when_and_the_history(vetting_client):
    applicant = TherapistFactory(
        display_name="Cara C.", status=Therapist.Status.APPLICANT, vetted_on=None
    )
    vetter = vetting_client.session["_auth_user_id"]

    _, messages = run_action(vetting_client, "activate", applicant)

    assert messages == ["Cara C.: activated."]
    applicant.refresh_from_db()
    assert applicant.status == Therapist.Status.ACTIVE
    assert applicant.vetted_on == TODAY
    assert str(applicant.vetted_by_id) == vetter
    latest = applicant.history.latest()
    assert latest.status == Therapist.Status.ACTIVE
    assert str(latest.history_user_id) == vetter


def test_pause_and_offboard_change_status_and_are_recorded(vetting_client):
    first = TherapistFactory(display_name="Dee D.")
    second = TherapistFactory(display_name="Eli E.")

    _, paused = run_action(vetting_client, "pause", first)
    _, offboarded = run_action(vetting_client, "offboard", second)
    _, paused_again = run_action(vetting_client, "pause", first)

    assert paused == ["Dee D.: paused."]
    assert offboarded == ["Eli E.: offboarded."]
    assert paused_again == ["Dee D. is paused; only active therapists can be paused."]
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Therapist.Status.PAUSED
    assert second.status == Therapist.Status.OFFBOARDED
    assert [row.status for row in second.history.all()] == ["offboarded", "active"]
    assert second.history.latest().history_user.username.startswith("vetting")


def test_history_page_shows_who_changed_a_credential(vetting_client):
    therapist = TherapistFactory()

    response = vetting_client.post(
        change_url(therapist), form_data(therapist, licence_expires_on="2032-01-31")
    )

    assert response.status_code == 302
    therapist.refresh_from_db()
    assert therapist.licence_expires_on == date(2032, 1, 31)
    latest = therapist.history.latest()
    assert latest.history_user.username.startswith("vetting")
    history = vetting_client.get(
        reverse("admin:therapists_therapist_history", args=[therapist.pk])
    ).content.decode()
    assert latest.history_user.username in history


def test_front_desk_sees_credentials_read_only_and_cannot_change_status(front_desk_client):
    therapist = TherapistFactory(licence_number="MT555123")

    html = front_desk_client.get(change_url(therapist)).content.decode()
    changelist = front_desk_client.get(CHANGELIST).content.decode()
    run_action(front_desk_client, "pause", therapist)

    assert "MT555123" in html
    assert 'name="licence_number"' not in html
    assert 'name="status"' not in html
    assert 'name="bio"' in html
    assert 'value="activate"' not in changelist
    therapist.refresh_from_db()
    assert therapist.status == Therapist.Status.ACTIVE


def test_front_desk_can_update_the_profile_but_not_credentials(front_desk_client):
    therapist = TherapistFactory(licence_number="MT555123", bio="Old bio.")

    response = front_desk_client.post(
        change_url(therapist),
        form_data(
            therapist,
            bio="New bio.",
            licence_number="FORGED",
            hours=[{"weekday": "2", "starts_at": "10:00", "ends_at": "14:00"}],
        ),
    )

    assert response.status_code == 302
    therapist.refresh_from_db()
    assert therapist.bio == "New bio."
    assert therapist.licence_number == "MT555123"
    assert list(therapist.working_hours.values_list("weekday", flat=True)) == [2]


def test_vetting_can_edit_credentials(vetting_client):
    therapist = TherapistFactory(licence_number="MT555123")

    html = vetting_client.get(change_url(therapist)).content.decode()
    response = vetting_client.post(
        change_url(therapist), form_data(therapist, licence_number="MT999888")
    )

    assert 'name="licence_number"' in html
    assert response.status_code == 302
    therapist.refresh_from_db()
    assert therapist.licence_number == "MT999888"


def test_phone_typed_in_any_us_format_is_stored_in_e164(admin_client):
    therapist = TherapistFactory()

    admin_client.post(change_url(therapist), form_data(therapist, phone="(404) 555-0177"))

    therapist.refresh_from_db()
    assert therapist.phone == "+14045550177"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"licence_issued_on": "2026-01-10", "licence_expires_on": "2026-01-09"},
            "The licence expiry date can&#x27;t be before its issue date.",
        ),
        (
            {"insurance_starts_on": "2026-01-10", "insurance_expires_on": "2025-12-31"},
            "The insurance expiry date can&#x27;t be before its start date.",
        ),
        (
            {
                "background_check_passed_on": "2026-01-10",
                "background_check_valid_until": "2026-01-01",
            },
            "The background check can&#x27;t be valid until a date before it was passed.",
        ),
        ({"home_zip": "99999"}, "We don&#x27;t recognise the zip code 99999."),
        ({"home_zip": "3030"}, "Enter a 5-digit zip code, like 30309."),
        ({"phone": "555-12"}, "Enter a valid phone number, like (404) 555-0123."),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_saved(admin_client, overrides, message):
    therapist = TherapistFactory(bio="Original bio.")
    before = model_to_dict(Therapist.objects.get(pk=therapist.pk))

    response = admin_client.post(
        change_url(therapist), form_data(therapist, bio="Changed bio.", **overrides)
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert model_to_dict(Therapist.objects.get(pk=therapist.pk)) == before
    assert therapist.history.count() == 1


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        (
            [
                {"weekday": "0", "starts_at": "09:00", "ends_at": "13:00"},
                {"weekday": "0", "starts_at": "12:30", "ends_at": "17:00"},
            ],
            "This overlaps the other Monday window, 09:00–13:00.",
        ),
        (
            [
                {"weekday": "4", "starts_at": "08:00", "ends_at": "20:00"},
                {"weekday": "4", "starts_at": "09:00", "ends_at": "10:00"},
                {"weekday": "4", "starts_at": "12:00", "ends_at": "13:00"},
            ],
            "This overlaps the other Friday window, 08:00–20:00.",
        ),
        (
            [{"weekday": "1", "starts_at": "17:00", "ends_at": "09:00"}],
            "The end time must be after the start time.",
        ),
    ],
)
def test_overlapping_or_backwards_working_hours_are_refused(admin_client, hours, message):
    therapist = TherapistFactory(bio="Original bio.")

    response = admin_client.post(
        change_url(therapist), form_data(therapist, bio="Changed bio.", hours=hours)
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not WorkingHours.objects.exists()
    therapist.refresh_from_db()
    assert therapist.bio == "Original bio."


def test_overlap_with_a_saved_window_is_refused_but_other_days_are_fine(admin_client):
    therapist = TherapistFactory()
    saved = WorkingHoursFactory(therapist=therapist, weekday=0, starts_at="09:00", ends_at="17:00")
    data = form_data(
        therapist,
        hours=[
            {"weekday": "0", "starts_at": "09:00", "ends_at": "17:00"},
            {"weekday": "0", "starts_at": "16:00", "ends_at": "20:00"},
        ],
    )
    data |= {"working_hours-INITIAL_FORMS": "1", "working_hours-0-id": saved.pk}

    refused = admin_client.post(change_url(therapist), data)
    data |= {"working_hours-1-weekday": "1"}
    accepted = admin_client.post(change_url(therapist), data)

    assert "This overlaps the other Monday window, 09:00–17:00." in refused.content.decode()
    assert accepted.status_code == 302
    assert WorkingHours.objects.filter(therapist=therapist).count() == 2


def test_time_off_ending_before_it_starts_is_refused(admin_client):
    therapist = TherapistFactory()
    time_off = [
        {
            "starts_at_0": "2026-07-01",
            "starts_at_1": "12:00",
            "ends_at_0": "2026-07-01",
            "ends_at_1": "09:00",
            "reason": "Dentist",
        }
    ]

    response = admin_client.post(change_url(therapist), form_data(therapist, time_off=time_off))

    assert response.status_code == 200
    assert "Time off must end after it starts." in response.content.decode()
    assert not TimeOff.objects.exists()


def test_an_oversized_photo_is_refused_with_a_clear_message(admin_client, media_root):
    therapist = TherapistFactory()
    huge = image_upload("huge.png", size=(6000, 5000), image_format="PNG", mode="L")

    response = admin_client.post(change_url(therapist), form_data(therapist, photo=huge))

    assert response.status_code == 200
    assert (
        "This image is 6000 × 5000 pixels (30 megapixels). The most we take is 25 megapixels: "
        "resize it and upload it again."
    ) in page_of(response)
    therapist.refresh_from_db()
    assert not therapist.photo
    assert not media_root.exists()


def test_a_photo_is_stored_re_encoded_upright_without_metadata_or_what_was_appended(
    admin_client, media_root
):
    therapist = TherapistFactory()
    polyglot = image_upload("maya.jpg", exif=camera_exif(), trailing=TRAILING_HTML)

    response = admin_client.post(
        change_url(therapist), form_data(therapist, photo=polyglot, photo_alt="Maya smiling")
    )

    assert response.status_code == 302
    therapist.refresh_from_db()
    assert therapist.photo.name.startswith("therapists/maya")
    stored = (media_root / therapist.photo.name).read_bytes()
    assert b"<script" not in stored
    assert b"Spy Cam" not in stored
    assert stored.endswith(b"\xff\xd9")  # the JPEG's end-of-image marker, then nothing
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert not image.getexif()
        assert image.size == (48, 64)  # turned as the camera's orientation tag said
