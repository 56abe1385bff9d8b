from .models import ClientAccount


def client_for_user(*, user) -> ClientAccount | None:
    """The signed-in client's account, or None for anyone else (anonymous, staff, therapist)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return ClientAccount.objects.filter(user=user, verified_at__isnull=False).first()
