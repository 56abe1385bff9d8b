import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group


@pytest.fixture
def staff_in():
    """A logged-out staff user in one of the staff groups the migrations create."""
    created = []

    def make(group_name: str):
        user = get_user_model().objects.create_user(
            f"{group_name.lower().replace(' ', '-')}-{len(created)}",
            password="unused-in-tests",
            is_staff=True,
        )
        user.groups.add(Group.objects.get(name=group_name))
        created.append(user)
        return user

    return make


@pytest.fixture
def vetting_client(client, staff_in):
    client.force_login(staff_in("Vetting"))
    return client


@pytest.fixture
def front_desk_client(client, staff_in):
    client.force_login(staff_in("Front desk"))
    return client
