from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from .models import Article, ArticleSlugRedirect, Category
from .services import article_publish, article_save, article_unpublish


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "order"]
    list_editable = ["order"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


class ArticleSlugRedirectInline(admin.TabularInline):
    model = ArticleSlugRedirect
    extra = 0
    fields = ["old_slug", "created_at"]
    readonly_fields = ["created_at"]
    verbose_name = "old address"
    verbose_name_plural = "old addresses (they redirect here)"


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "status", "category", "published_at", "is_live"]
    list_filter = ["status", "category"]
    list_select_related = ["category"]
    search_fields = ["title", "summary", "body"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["category"]
    filter_horizontal = ["related_services"]
    date_hierarchy = "published_at"
    readonly_fields = ["reading_minutes", "updated_at", "preview"]
    inlines = [ArticleSlugRedirectInline]
    actions = ["publish_now", "unpublish"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "category", "author"]}),
        ("Text", {"fields": ["body", "preview", "reading_minutes"]}),
        ("Hero image", {"fields": ["hero_image", "hero_image_alt"], "classes": ["collapse"]}),
        ("Booking", {"fields": ["related_services"]}),
        ("Publishing", {"fields": ["status", "published_at", "updated_at"]}),
    ]

    class Media:
        css = {"all": ["css/admin.css"]}

    def get_changeform_initial_data(self, request):
        return {"author": request.user.pk, **super().get_changeform_initial_data(request)}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "author":
            kwargs["queryset"] = get_user_model().objects.filter(is_staff=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        article_save(article=obj)

    @admin.display(boolean=True, description="live now")
    def is_live(self, obj):
        return obj.is_public

    @admin.display(description="preview (as last saved)")
    def preview(self, obj):
        if not obj.body_html:
            return "Save the article to see it here as readers will."
        # body_html is sanitized when it is rendered on save, so it is safe to show as is.
        return format_html('<div class="article-preview">{}</div>', mark_safe(obj.body_html))

    @admin.action(description="Publish now")
    def publish_now(self, request, queryset):
        articles = list(queryset)
        for article in articles:
            article_publish(article=article)
        self.message_user(request, f"{len(articles)} article(s) are live.", messages.SUCCESS)

    @admin.action(description="Unpublish (back to draft)")
    def unpublish(self, request, queryset):
        articles = list(queryset)
        for article in articles:
            article_unpublish(article=article)
        self.message_user(request, f"{len(articles)} article(s) are drafts again.")
