from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin

admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class LockedOutSignInAdmin(AccessAttemptAdmin):
    """django-axes' failed sign-ins, one row per username and address, with an action that
    lifts a lockout before its cool-off ends."""

    actions = ["unlock", *AccessAttemptAdmin.actions]

    @admin.action(description="Unlock the selected sign-ins", permissions=["delete"])
    def unlock(self, request, queryset):
        count = queryset.count()
        queryset.delete()
        self.message_user(
            request,
            f"{count} sign-in{'s' if count != 1 else ''} unlocked: "
            "the password can be tried again now.",
        )
