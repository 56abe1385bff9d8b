"""Saved addresses: the client's own list under /account/addresses/, chosen in the details step
of the booking flow, copied onto the booking so that changing one later changes no booking."""

import pytest
from django.contrib.auth import get_user_model

from booking.models import Booking
from clients.models import SavedAddress
from tests.booking.helpers import DETAILS, TOMORROW, at, page_of
from tests.booking.test_flow import choose_service, slot_value
from tests.clients.conftest import make_address

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday_morning")]

ADDRESS = {
    "label": "Mum's house",
    "address_line1": "48 Elm St",
    "address_line2": "",
    "city": "Decatur",
    "zip_code": "30030",
    "access_notes": "Ring twice",
}
ADDRESS_LESS = {k: v for k, v in DETAILS.items() if k not in ("address_line1", "address_line2")}


def to_details(client, service, *, zip_code="30309"):
    assert choose_service(client, service, zip_code=zip_code)["Location"] == "/book/time/"
    client.post("/book/time/", {"start": slot_value(at(TOMORROW, 14))})


@pytest.mark.parametrize("path", ["/account/addresses/", "/account/addresses/add/"])
def test_address_pages_send_visitors_to_sign_in_and_refuse_staff(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/account/sign-in/?next={path.replace('/', '%2F')}"
    staff = get_user_model().objects.create_user("desk", is_staff=True)
    client.force_login(staff)
    assert client.get(path).status_code == 403


def test_a_client_adds_changes_and_removes_an_address(ada_in, ada):
    page = page_of(ada_in.get("/account/addresses/"))
    assert "You have no saved addresses yet" in page

    response = ada_in.post("/account/addresses/add/", ADDRESS)
    assert response["Location"] == "/account/addresses/"
    page = page_of(ada_in.get("/account/addresses/"))
    assert "Mum's house is saved." in page
    assert "48 Elm St, Decatur, GA 30030" in page
    assert "Ring twice" in page

    address = SavedAddress.objects.get(account=ada)
    edit = f"/account/addresses/{address.key}/edit/"
    assert 'value="48 Elm St"' in page_of(ada_in.get(edit))
    ada_in.post(edit, ADDRESS | {"address_line1": "50 Elm St"})
    address.refresh_from_db()
    assert address.address_line1 == "50 Elm St"

    delete = f"/account/addresses/{address.key}/delete/"
    assert "Remove Mum's house?" in page_of(ada_in.get(delete))
    assert ada_in.post(delete)["Location"] == "/account/addresses/"
    assert not SavedAddress.objects.exists()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"zip_code": "3030"}, "zip_code", "Enter a 5-digit zip code, like 30309."),
        ({"zip_code": "00000"}, "zip_code", "We don't recognise the zip code 00000."),
        ({"address_line1": ""}, "address_line1", "Enter your street address."),
        ({"label": "  "}, "label", "Give the address a name, like Home."),
        ({"label": "home"}, "label", "You already have an address called home."),
        ({"city": "x" * 81}, "city", "Ensure this value has at most 80 characters"),
    ],
)
def test_a_bad_address_is_refused_next_to_its_field(ada_in, ada, change, field, message):
    make_address(ada, "Home")
    response = ada_in.post("/account/addresses/add/", ADDRESS | change)
    page = page_of(response)
    assert response.status_code == 200
    assert "Error: Add an address" in page
    assert f'id="id_{field}_error"' in page
    assert message in page
    assert SavedAddress.objects.count() == 1


def test_the_address_list_runs_a_constant_number_of_queries(ada_in, ada, django_assert_num_queries):
    make_address(ada, "Home")
    with django_assert_num_queries(3) as one:
        ada_in.get("/account/addresses/")
    for n in range(5):
        make_address(ada, f"Hotel {n}")
    with django_assert_num_queries(len(one.captured_queries)):
        ada_in.get("/account/addresses/")


def test_a_signed_in_client_picks_a_saved_address_and_later_changes_leave_the_booking(
    ada_in, ada, swedish, maya
):
    home = make_address(ada, "Home")
    make_address(ada, "Office", address_line1="1 Far Rd", zip_code="30303")
    to_details(ada_in, swedish)
    page = page_of(ada_in.get("/book/details/"))
    assert "Where shall we come?" in page
    assert "Home: 12 Juniper St NE, Apt 4, Atlanta, GA 30309" in page
    assert "A new address" in page
    assert "Save this address as… (optional)" in page

    response = ada_in.post("/book/details/", ADDRESS_LESS | {"saved_address": str(home.key)})
    assert response["Location"] == "/book/review/"
    assert "12 Juniper St NE, Apt 4, Atlanta, GA 30309" in page_of(ada_in.get("/book/review/"))
    # Back on the details step, the saved address is still the one chosen.
    page = page_of(ada_in.get("/book/details/"))
    assert f'value="{home.key}" class="form-check-input" id="id_saved_address_0" checked' in page
    ada_in.post("/book/review/")

    booking = Booking.objects.get()
    assert (booking.address_line1, booking.address_line2, booking.city) == (
        "12 Juniper St NE",
        "Apt 4",
        "Atlanta",
    )
    assert (booking.zip_code, booking.access_notes) == ("30309", "Gate code 1234")

    ada_in.post(
        f"/account/addresses/{home.key}/edit/",
        ADDRESS | {"label": "Home", "zip_code": "30309", "address_line1": "99 New St"},
    )
    assert SavedAddress.objects.get(pk=home.pk).address_line1 == "99 New St"
    ada_in.post(f"/account/addresses/{home.key}/delete/")
    assert not SavedAddress.objects.filter(pk=home.pk).exists()
    booking.refresh_from_db()
    assert (booking.address_line1, booking.access_notes) == ("12 Juniper St NE", "Gate code 1234")


def test_a_saved_address_in_another_zip_is_refused_next_to_the_choice(ada_in, ada, swedish, maya):
    office = make_address(ada, "Office", zip_code="30303")
    to_details(ada_in, swedish)
    response = ada_in.post("/book/details/", ADDRESS_LESS | {"saved_address": str(office.key)})
    page = page_of(response)
    assert response.status_code == 200
    assert 'id="id_saved_address_error"' in page
    assert (
        "Office is in 30303, but the times you chose are for 30309. Choose another address, "
        "or change the zip code on step 1."
    ) in page
    assert ada_in.get("/book/review/")["Location"] == "/book/"


def test_a_new_address_typed_while_booking_can_be_saved(ada_in, ada, swedish, maya):
    make_address(ada, "Home", zip_code="30303")
    to_details(ada_in, swedish)
    answers = DETAILS | {"saved_address": "new", "save_as": "Hotel"}
    assert ada_in.post("/book/details/", answers)["Location"] == "/book/review/"
    hotel = SavedAddress.objects.get(label="Hotel")
    assert (hotel.account, hotel.address_line1, hotel.zip_code, hotel.access_notes) == (
        ada,
        "100 Peachtree St NW",
        "30309",
        "Street parking on 5th",
    )
    ada_in.post("/book/review/")
    assert Booking.objects.get().address_line1 == "100 Peachtree St NW"


def test_saving_a_new_address_under_a_name_in_use_is_refused_and_keeps_the_answers(
    ada_in, ada, swedish, maya
):
    make_address(ada, "Home", zip_code="30303")
    to_details(ada_in, swedish)
    response = ada_in.post("/book/details/", DETAILS | {"saved_address": "new", "save_as": "HOME"})
    page = page_of(response)
    assert 'id="id_save_as_error"' in page
    assert "You already have an address called HOME." in page
    assert 'value="100 Peachtree St NW"' in page
    assert SavedAddress.objects.count() == 1


def test_a_signed_in_client_without_saved_addresses_types_one_as_a_guest_does(
    ada_in, ada, swedish, maya
):
    to_details(ada_in, swedish)
    page = page_of(ada_in.get("/book/details/"))
    assert "Where shall we come?" not in page
    assert "Save this address as… (optional)" in page
    assert ada_in.post("/book/details/", DETAILS)["Location"] == "/book/review/"
    assert not SavedAddress.objects.exists()


def test_guests_see_no_saved_addresses(client, swedish, maya, bea):
    to_details(client, swedish)
    page = page_of(client.get("/book/details/"))
    assert "Where shall we come?" not in page
    assert "Save this address" not in page
    assert "Bea's flat" not in page
