"""Forbid overlapping active appointments for one therapist, at the database.

Each active appointment occupies ``[starts_at, ends_at + 30 minutes)``: its own time plus the
minimum buffer (BOOKING_MIN_BUFFER_MINUTES' default). Two such ranges for the same therapist may
not intersect. PostgreSQL only; on SQLite the service layer's transaction is the guard, since
SQLite serializes writers.
"""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

CONSTRAINT = "appointment_no_overlap"

# Adding a fixed number of minutes to a timestamptz does not depend on the session time zone,
# so the wrapper is truly immutable (PostgreSQL cannot prove it for the bare expression).
CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION booking_appointment_busy(starts_at timestamptz, ends_at timestamptz)
RETURNS tstzrange LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT tstzrange(starts_at, ends_at + interval '30 minutes', '[)') $$
"""
CREATE = f"""
ALTER TABLE booking_appointment ADD CONSTRAINT {CONSTRAINT}
EXCLUDE USING gist (
    therapist_id WITH =,
    booking_appointment_busy(starts_at, ends_at) WITH &&
) WHERE (is_active)
"""
DROP = f"ALTER TABLE booking_appointment DROP CONSTRAINT IF EXISTS {CONSTRAINT}"
DROP_FUNCTION = "DROP FUNCTION IF EXISTS booking_appointment_busy(timestamptz, timestamptz)"


def run_on_postgresql(sql):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return operation


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0001_services_bookings_appointments"),
    ]

    operations = [
        BtreeGistExtension(),
        migrations.RunPython(
            run_on_postgresql(CREATE_FUNCTION), run_on_postgresql(DROP_FUNCTION)
        ),
        migrations.RunPython(run_on_postgresql(CREATE), run_on_postgresql(DROP)),
    ]
