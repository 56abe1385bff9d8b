"""Structured data (JSON-LD) for search engines."""

import json

from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import SafeString

from therapists.validators import phone_to_e164

from .models import Article

# Inside <script> only these can end the element or start markup; JSON allows them escaped.
JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def json_ld(data: dict) -> SafeString:
    payload = json.dumps(data, ensure_ascii=False).translate(JSON_SCRIPT_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', SafeString(payload))


def business_json_ld() -> SafeString:
    return json_ld(
        {
            "@context": "https://schema.org",
            "@type": "HealthAndBeautyBusiness",
            "name": "Spa Theory",
            "url": f"{settings.SITE_URL}/",
            "telephone": phone_to_e164(settings.BUSINESS_PHONE),
            "email": "hello@spatheory.com",
            "priceRange": "$$",
            "areaServed": {"@type": "AdministrativeArea", "name": "Atlanta metropolitan area"},
            "address": {
                "@type": "PostalAddress",
                "addressLocality": "Atlanta",
                "addressRegion": "GA",
                "addressCountry": "US",
            },
            "openingHours": "Mo-Su 08:00-22:00",
        }
    )


def article_json_ld(article: Article) -> SafeString:
    url = f"{settings.SITE_URL}{article.get_absolute_url()}"
    data = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": article.title,
        "description": article.summary,
        "datePublished": article.published_at.isoformat(),
        "dateModified": article.updated_at.isoformat(),
        "author": {
            "@type": "Person" if article.author.get_full_name() else "Organization",
            "name": article.author_name,
        },
        "publisher": {"@type": "Organization", "name": "Spa Theory", "url": settings.SITE_URL},
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "url": url,
        "articleSection": article.category.name,
    }
    if article.hero_image:
        data["image"] = article.hero_image_absolute_url
    return json_ld(data)
