"""Data migrations, run forwards on rows written as the previous migration left them."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def test_therapists_already_there_each_get_their_own_calendar_token(migrator):
    before = ("therapists", "0005_therapist_photo_reencoded")
    after = ("therapists", "0007_therapist_calendar_token_unique")
    executor = migrator
    executor.migrate([before])
    Therapist = executor.loader.project_state([before]).apps.get_model("therapists", "Therapist")
    for n in range(3):
        Therapist.objects.create(
            first_name=f"T{n}",
            last_name="R",
            display_name=f"T{n} R.",
            slug=f"t{n}",
            email=f"t{n}@example.com",
            phone="+14045550123",
            gender="female",
            home_zip="30303",
        )

    executor = MigrationExecutor(connection)
    executor.migrate([after])

    Therapist = executor.loader.project_state([after]).apps.get_model("therapists", "Therapist")
    tokens = list(Therapist.objects.values_list("calendar_token", flat=True))
    assert len(set(tokens)) == 3
    assert all(len(token) >= 32 for token in tokens)
