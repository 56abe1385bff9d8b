"""Demo data for this app, loaded by ``manage.py seed_demo``. Idempotent."""


def seed() -> None:
    pass
