from urllib.parse import urljoin

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from booking.models import Service
from therapists.images import UploadedImageField

from .rendering import render_markdown


class Category(models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(
        blank=True, help_text="A sentence or two, shown on the category page and in search results."
    )
    order = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order", "name"]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("blog:category", kwargs={"slug": self.slug})


class ArticleQuerySet(models.QuerySet):
    def published(self):
        """Visible to readers: published, and not scheduled for later."""
        return self.filter(status=Article.Status.PUBLISHED, published_at__lte=timezone.now())


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    title = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=200,
        unique=True,
        help_text="The web address. Changing it on a published article keeps the old one working.",
    )
    summary = models.CharField(
        max_length=300, help_text="One or two sentences: shown on cards and to search engines."
    )
    body = models.TextField(help_text="Markdown. Use ## and ### headings: they build the contents.")
    body_html = models.TextField(editable=False, default="")
    headings = models.JSONField(editable=False, default=list)
    reading_minutes = models.PositiveSmallIntegerField(editable=False, default=1)
    hero_image = UploadedImageField(upload_to="blog/", blank=True)
    hero_image_alt = models.CharField(
        "hero image alt text",
        max_length=200,
        blank=True,
        help_text="Describe the picture for readers who can't see it. Required with an image.",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="articles"
    )
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="articles")
    related_services = models.ManyToManyField(
        Service,
        blank=True,
        related_name="articles",
        help_text="Named with their prices in the booking invitation at the end of the article.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="A future date schedules the article: it appears by itself at that time.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-published_at"], name="article_published_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="article_published_has_date",
                violation_error_message="A published article needs a publication date.",
            ),
            models.CheckConstraint(
                condition=Q(hero_image="") | ~Q(hero_image_alt=""),
                name="article_hero_image_has_alt",
                violation_error_message="Add alt text that describes the hero image.",
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        rendered = render_markdown(self.body)
        self.body_html = rendered.html
        self.headings = rendered.headings
        self.reading_minutes = rendered.reading_minutes
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "body" in update_fields:
            kwargs["update_fields"] = {*update_fields, "body_html", "headings", "reading_minutes"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("blog:detail", kwargs={"slug": self.slug})

    @property
    def hero_image_absolute_url(self) -> str:
        """For social cards and structured data: ``MEDIA_URL`` may be a path on ``SITE_URL``
        or a host of its own."""
        return urljoin(f"{settings.SITE_URL}/", self.hero_image.url) if self.hero_image else ""

    @property
    def is_public(self) -> bool:
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )

    @property
    def author_name(self) -> str:
        """The byline: the writer's full name, never their login."""
        return self.author.get_full_name() or "The Spa Theory team"

    @property
    def was_updated(self) -> bool:
        """Worth an "Updated" line: edited on a later day than it went out."""
        return bool(self.published_at) and (
            timezone.localdate(self.updated_at) > timezone.localdate(self.published_at)
        )


class ArticleSlugRedirect(models.Model):
    """An address an article used to have, so old links and search results still arrive."""

    old_slug = models.SlugField(max_length=200, unique=True)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="slug_redirects")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.old_slug} → {self.article.slug}"
