"""Each staff group the migrations create holds only what its work needs: Vetting keeps the
therapists, Front desk runs the day. A change to either list must be made here on purpose."""

import pytest
from django.contrib.auth.models import Group

from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

HOURS_AND_TIME_OFF = {
    f"therapists.{action}_{model}"
    for model in ("workinghours", "timeoff")
    for action in ("view", "add", "change", "delete")
}

GROUP_PERMISSIONS = {
    "Vetting": {
        "therapists.view_modality",
        "therapists.view_therapist",
        "therapists.add_therapist",
        "therapists.change_therapist",
        "therapists.change_credentials",
        "therapists.view_historicaltherapist",
        *HOURS_AND_TIME_OFF,
    },
    "Front desk": {
        "therapists.view_modality",
        "therapists.view_therapist",
        "therapists.change_therapist",
        "therapists.view_historicaltherapist",
        *HOURS_AND_TIME_OFF,
        "booking.view_service",
        "booking.view_serviceduration",
        "booking.view_booking",
        "booking.change_booking",
        "booking.view_appointment",
        "booking.change_appointment",
        "booking.view_notification",
        "booking.change_notification",
    },
}


def test_each_staff_group_has_exactly_the_permissions_its_work_needs():
    granted = {
        group.name: {
            f"{permission.content_type.app_label}.{permission.codename}"
            for permission in group.permissions.select_related("content_type")
        }
        for group in Group.objects.all()
    }

    assert granted == GROUP_PERMISSIONS


def test_vetting_cannot_open_bookings_their_clients_or_the_day(vetting_client):
    appointment = AppointmentFactory(booking__health_notes="Sore left shoulder")
    booking = appointment.booking

    for url in (
        "/admin/booking/booking/",
        f"/admin/booking/booking/{booking.pk}/change/",
        "/admin/booking/booking/schedule/",
        "/admin/booking/notification/",
    ):
        response = vetting_client.get(url)
        assert response.status_code == 403, url
        assert booking.client_phone not in response.content.decode(), url
    index = vetting_client.get("/admin/").content.decode()

    assert "/admin/booking/" not in index
    assert vetting_client.get("/admin/therapists/therapist/").status_code == 200
