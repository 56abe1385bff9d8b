"""Cached answers that stay honest: versions bumped by writes, and public pages for anonymous
visitors.

Two versions, each a value in the shared cache that every write which could change what they
cover replaces (``versions_connect``, from ``SpatheoryConfig.ready``):

- ``CONTENT``: what the public pages show (articles, categories, services and prices,
  modalities, therapists and their hours);
- ``AVAILABILITY``: what open times are computed from (bookings and appointments, therapists,
  credentials, hours, time off, services and durations).

A version is bumped when the row is saved and again when its transaction commits: the first so
the writer's own next request sees the change, the second because a reader may have cached
the old rows under the first new version before the commit made the new ones visible.

Cached answers are stored with the version they were made under and read together with the
current one (one round trip), so nothing is ever deleted: an entry made under an old version
is simply never used again and expires. A cached answer is a shortcut for
reading only: bookings recompute their slot under lock (``booking.assignment``).
"""

import gzip
import re
import time
import uuid
import zlib
from functools import wraps
from hashlib import blake2b

from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers

# Where a page rendered for any visitor (``shell_render``) takes each visitor's own CSRF token.
TOKEN_SLOT = "csrf-token-filled-in-per-request"
CONTENT = "content"
AVAILABILITY = "availability"
PAGE_SECONDS = 60
# Headers the view set that a cached copy keeps; the middleware add the rest to every response.
KEPT_HEADERS = ("Content-Type", "Cache-Control", "X-Robots-Tag", "Content-Language")
# A stored page is compressed once, when stored, for the browsers that accept it (all do).
GZIP_LEVEL = 6
# zlib's window size for reading the gzip format.
GZIP_WBITS = 16 + zlib.MAX_WBITS


def _version_key(name: str) -> str:
    return f"version:{name}"


def _version_make(name: str) -> str:
    version = uuid.uuid4().hex
    # add, not set: two first readers agree on one version.
    if not cache.add(_version_key(name), version, timeout=None):
        version = cache.get(_version_key(name)) or version
    return version


def versioned_get(name: str, key: str):
    """What is stored under ``key`` if it was stored under the current version of ``name``
    (else None), and that version: one round trip to the cache."""
    found = cache.get_many([_version_key(name), key])
    version = found.get(_version_key(name)) or _version_make(name)
    stored = found.get(key)
    if stored is not None and stored[0] == version:
        return stored[1], version
    return None, version


def versioned_set(key: str, version: str, value, timeout: int) -> None:
    """Store ``value`` as made under ``version``: read back only while it is still current."""
    cache.set(key, (version, value), timeout)


def _version_replace(name: str) -> None:
    cache.set(_version_key(name), uuid.uuid4().hex, timeout=None)


def version_bump(*names: str) -> None:
    """Every answer cached under these versions is stale: now, and again at commit."""
    for name in names:
        _version_replace(name)
    transaction.on_commit(lambda: [_version_replace(name) for name in names], robust=True)


def _watch(model, *names: str) -> None:
    def changed(sender, **kwargs):
        version_bump(*names)

    uid = f"page_cache:{model._meta.label}"
    post_save.connect(changed, sender=model, weak=False, dispatch_uid=uid)
    post_delete.connect(changed, sender=model, weak=False, dispatch_uid=uid)
    m2m_changed.connect(changed, sender=model, weak=False, dispatch_uid=uid)


def versions_connect() -> None:
    """Bump the versions on every save and delete of the rows they cover (admin, services,
    commands alike). Bulk ``update()`` and ``bulk_create`` send no signals: the services that
    use them on these tables save a covered row in the same transaction."""
    from blog.models import Article, Category
    from booking.models import Appointment, Booking, Service, ServiceDuration
    from therapists.models import Modality, Therapist, TimeOff, WorkingHours

    for model in (Article, Category):
        _watch(model, CONTENT)
    for model in (Service, ServiceDuration, Modality, Therapist, WorkingHours):
        _watch(model, CONTENT, AVAILABILITY)
    _watch(Therapist.modalities.through, CONTENT, AVAILABILITY)
    for model in (Booking, Appointment, TimeOff):
        _watch(model, AVAILABILITY)
    # Pages and times are computed from settings too (the phone number, the notice period):
    # tests change them at run time.
    setting_changed.connect(
        lambda **kwargs: [_version_replace(name) for name in (CONTENT, AVAILABILITY)],
        weak=False,
        dispatch_uid="page_cache:settings",
    )


def _anonymous(request) -> bool:
    """No session and no messages: nothing on the page can be this visitor's own."""
    cookies = request.COOKIES
    return (
        settings.SESSION_COOKIE_NAME not in cookies
        and getattr(settings, "MESSAGE_COOKIE_NAME", "messages") not in cookies
    )


def _page_key(request) -> str:
    """The page's address, its content version, and the minute: pages change with time too
    (the directory with the day's credentials, the journal when a scheduled article's moment
    comes), so a cached copy serves one minute at most. Whole minutes since 1970, which turn
    over when Atlanta's minutes do."""
    path = blake2b(request.get_full_path().encode(), digest_size=16).hexdigest()
    return f"page:4:{int(time.time()) // 60}:{path}"


def _storable(request, response) -> bool:
    """A plain 200 that set no cookie and used no CSRF token: the same for every visitor."""
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not request.META.get("CSRF_COOKIE_USED")
    )


def _stored(response) -> tuple:
    """What the cache keeps of a rendered page: its body compressed once, and the headers the
    view set. Compressed only: every read of the page moves a fraction of its size from the
    cache, and the rare client that asks for no gzip gets it decompressed, which costs less
    than moving the whole page. The compressed copy has no time in its header, so it is the
    same bytes for every visitor; public pages carry no token or secret to leak through it."""
    headers = [(name, response[name]) for name in KEPT_HEADERS if name in response]
    return gzip.compress(response.content, GZIP_LEVEL, mtime=0), headers


def _accepts_gzip(request) -> bool:
    """``Accept-Encoding`` names gzip, without ``q=0``."""
    for part in request.META.get("HTTP_ACCEPT_ENCODING", "").split(","):
        coding, _, weight = part.partition(";")
        if coding.strip().lower() == "gzip":
            return not re.fullmatch(r"q=0(\.0*)?", weight.replace(" ", "").lower())
    return False


def _response_from(stored, request) -> HttpResponse:
    """The stored page as a response, compressed when the browser accepts gzip, with its
    length (so it goes out in one piece, not in chunks)."""
    compressed, headers = stored
    gzipped = _accepts_gzip(request)
    response = HttpResponse(compressed if gzipped else zlib.decompress(compressed, GZIP_WBITS))
    for name, value in headers:
        response[name] = value
    if gzipped:
        response["Content-Encoding"] = "gzip"
    patch_vary_headers(response, ["Accept-Encoding"])
    response["Content-Length"] = str(len(response.content))
    return response


def cached_page(request) -> HttpResponse | None:
    """The stored copy of the public page at this address (no query string), for an anonymous
    GET or HEAD, or None. For ``PublicPageCacheMiddleware``: it runs before the middleware that
    read sessions and tokens. A miss is remembered on the request, so the view's
    ``public_page`` decorator does not ask the cache again."""
    if request.method not in ("GET", "HEAD") or request.META.get("QUERY_STRING"):
        return None
    if not _anonymous(request):
        return None
    key = _page_key(request)
    stored, version = versioned_get(CONTENT, key)
    if stored is None:
        request._page_cache_miss = (key, version)
        return None
    response = _response_from(stored, request)
    if request.method == "HEAD":
        length = response["Content-Length"]
        response.content = b""
        response["Content-Length"] = length
    return response


def public_page(view=None, *, query: tuple[str, ...] = ()):
    """Serve a public page to anonymous visitors from the cache, keyed by its address, the
    local day and the ``CONTENT`` version.

    Only GETs whose query parameters are all in ``query`` are cached, from visitors without a
    session or messages cookie; only a response that set no cookie and rendered no CSRF token is
    stored. Everyone else gets the page rendered for them, as before."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            cacheable = (
                request.method == "GET" and _anonymous(request) and set(request.GET) <= set(query)
            )
            if not cacheable:
                return view(request, *args, **kwargs)
            key = _page_key(request)
            missed = getattr(request, "_page_cache_miss", None)
            if missed is not None and missed[0] == key:
                version = missed[1]
            else:
                stored, version = versioned_get(CONTENT, key)
                if stored is not None:
                    return _response_from(stored, request)
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
            if _storable(request, response):
                versioned_set(key, version, _stored(response), PAGE_SECONDS)
                # The same address is served compressed from the cache to the next visitor.
                patch_vary_headers(response, ["Accept-Encoding"])
            return response

        return wrapper

    return decorate(view) if view is not None else decorate


def shell_render(request, template: str, context: dict) -> str:
    """A page as any visitor gets it, to store: with no messages, and a slot where each
    visitor's own CSRF token goes when the page is served (``shell_serve``)."""
    return render_to_string(
        template, {**context, "csrf_token": TOKEN_SLOT, "messages": ()}, request=request
    )


def shell_serve(request, shell: str) -> HttpResponse:
    """A stored ``shell_render`` page for this visitor, their CSRF token in its slot: only for a
    request with no messages waiting, which must be rendered for the visitor instead."""
    return HttpResponse(shell.replace(TOKEN_SLOT, get_token(request)))
