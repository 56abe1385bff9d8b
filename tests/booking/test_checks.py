"""The system check that keeps the booking engine's buffer and the database's in step."""

from django.core.checks import run_checks

from booking.checks import check_overlap_buffer


def test_the_default_buffer_is_the_one_the_database_constraint_keeps():
    assert check_overlap_buffer() == []


def test_a_buffer_the_database_constraint_does_not_keep_is_an_error_asking_for_a_migration(
    settings,
):
    settings.BOOKING_MIN_BUFFER_MINUTES = 20

    errors = [message for message in run_checks() if message.id == "booking.E001"]

    assert len(errors) == 1
    assert errors[0].is_serious()
    assert "BOOKING_MIN_BUFFER_MINUTES is 20" in errors[0].msg
    assert "30 minutes" in errors[0].msg
    assert errors[0].hint.startswith("A new migration is needed")
