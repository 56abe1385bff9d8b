"""From reading an article to booking the massage it talks about."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import ArticleFactory, ServiceFactory, TherapistFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def article_about_orthopedic_massage():
    swedish = ServiceFactory(name="Swedish massage", slug="swedish", order=10)
    orthopedic = ServiceFactory(
        name="Orthopedic massage", slug="orthopedic", prices={60: "150.00", 90: "205.00"}, order=20
    )
    TherapistFactory(modalities=[swedish.modality, orthopedic.modality], hours="all")
    ArticleFactory(title="How to sleep well after a massage", related_services=[swedish])
    return ArticleFactory(
        title="Orthopedic vs. medical massage",
        summary="One treats your joints and muscles; the other follows a prescription.",
        related_services=[orthopedic],
    )


def test_an_article_invites_you_to_book_its_massage_already_chosen(
    page, article_about_orthopedic_massage
):
    page.goto("/blog/")
    title = "Orthopedic vs. medical massage"
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()

    invitation = page.get_by_role("complementary", name="Book a massage at home")
    expect(invitation.get_by_text("$150.00")).to_be_visible()
    book = invitation.get_by_role("link", name="Book orthopedic massage")
    expect(book).to_have_attribute("href", re.compile(r"^/book/\?service=orthopedic$"))
    book.click()

    expect(page).to_have_url(re.compile(r"/book/\?service=orthopedic$"))
    expect(page.get_by_text("Step 1 of 4")).to_be_visible()
    expect(page.get_by_role("radio", name="Orthopedic massage")).to_be_checked()
    expect(page.get_by_role("radio", name="Swedish massage")).not_to_be_checked()
