"""Shared by the apps' demo seeders (``manage.py seed_demo``)."""

from django.db import models


def upsert_by_slug(model: type[models.Model], *, slug: str, values: dict) -> models.Model:
    """Create or update by slug, saving only when a value differs, so a second run writes
    nothing: no new ``updated_at``, no history row, no emptied page cache."""
    instance = model.objects.filter(slug=slug).first()
    if instance is None:
        return model.objects.create(slug=slug, **values)
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, values[name])
    if changed:
        instance.save()
    return instance
