"""Reading the journal in a real browser at both sizes: the list, an article, the next one, its
contents, and from there to booking the massage it talks about."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.helpers import arrived
from tests.factories import ArticleFactory, ServiceFactory, TherapistFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SECTIONS = ["What orthopedic massage treats", "What medical massage needs", "Which one you need"]
PARAGRAPH = "Your therapist asks about your history and checks how the joint moves. " * 12


@pytest.fixture
def two_articles():
    """An article about sleep, then a longer one about orthopedic massage published a day
    later, with three sections."""
    swedish = ServiceFactory(name="Swedish massage", slug="swedish", order=10)
    orthopedic = ServiceFactory(
        name="Orthopedic massage", slug="orthopedic", prices={60: "150.00", 90: "205.00"}, order=20
    )
    TherapistFactory(modalities=[swedish.modality, orthopedic.modality], hours="all")
    now = timezone.now()
    ArticleFactory(
        title="How to sleep well after a massage",
        related_services=[swedish],
        published_at=now - timedelta(days=2),
    )
    return ArticleFactory(
        title="Orthopedic vs. medical massage",
        summary="One treats your joints and muscles; the other follows a prescription.",
        body="\n\n".join(f"## {title}\n\n{PARAGRAPH}\n\n{PARAGRAPH}" for title in SECTIONS),
        related_services=[orthopedic],
        published_at=now - timedelta(days=1),
    )


def test_a_reader_goes_from_the_journal_to_booking_the_massage_it_describes(
    sized_page, two_articles
):
    page = sized_page
    page.goto("/blog/")
    expect(page.get_by_role("heading", name="Journal", level=1)).to_be_visible()
    page.get_by_role("link", name="How to sleep well after a massage").click()
    expect(page.get_by_role("heading", name="How to sleep well after a massage")).to_be_visible()

    more = page.get_by_role("navigation", name="More articles")
    more.get_by_role("link", name=re.compile("^Next")).click()
    title = "Orthopedic vs. medical massage"
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    page.wait_for_load_state()

    contents = page.get_by_role("navigation", name="In this article")
    expect(contents.get_by_role("listitem")).to_have_count(len(SECTIONS))
    last = page.get_by_role("heading", name=SECTIONS[-1], level=2)
    expect(last).not_to_be_in_viewport()
    contents.get_by_role("link", name=SECTIONS[-1]).click()
    expect(page).to_have_url(re.compile(r"#which-one-you-need$"))
    expect(last).to_be_in_viewport()

    invitation = page.get_by_role("complementary", name="Book a massage at home")
    expect(invitation.get_by_text("$150.00")).to_be_visible()
    book = invitation.get_by_role("link", name="Book orthopedic massage")
    expect(book).to_have_attribute("href", re.compile(r"^/book/\?service=orthopedic$"))
    book.click()

    arrived(page, "Step 1 of 4")
    expect(page).to_have_url(re.compile(r"/book/\?service=orthopedic$"))
    expect(page.get_by_role("radio", name="Orthopedic massage")).to_be_checked()
    expect(page.get_by_role("radio", name="Swedish massage")).not_to_be_checked()
    lengths = page.get_by_role("group", name="How long?")
    expect(lengths.get_by_role("radio", name="60 minutes · $150.00")).to_be_visible()
