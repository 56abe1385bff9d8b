from django.db.models import QuerySet

from .models import ClientAccount, SavedAddress


def client_for_user(*, user) -> ClientAccount | None:
    """The signed-in client's account, or None for anyone else (anonymous, staff, therapist)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return ClientAccount.objects.filter(user=user, verified_at__isnull=False).first()


def saved_address_list(*, account: ClientAccount) -> QuerySet[SavedAddress]:
    """The client's own saved addresses, oldest first; the only way any page reaches one."""
    return SavedAddress.objects.filter(account=account)
