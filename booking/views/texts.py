"""Twilio's webhook for replies to our texts: STOP, START and their synonyms."""

from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ..notifications.optouts import text_reply_handle
from ..notifications.texting import inbound_is_from_twilio


@csrf_exempt  # Twilio's signature, checked below, stands in for the CSRF token.
@require_POST
def text_inbound(request):
    """Checked against the address Twilio was given (``SITE_URL``), not the one this request
    reached through the proxy; a request without Twilio's signature changes nothing. The reply
    is empty: Twilio answers STOP and START with its own confirmation."""
    url = settings.SITE_URL + request.get_full_path()
    signature = request.headers.get("X-Twilio-Signature", "")
    if not inbound_is_from_twilio(url=url, params=request.POST, signature=signature):
        return HttpResponseForbidden()
    text_reply_handle(sender=request.POST.get("From", ""), body=request.POST.get("Body", ""))
    # Here, not at the top: only this view needs the library, so other pages don't load it.
    from twilio.twiml.messaging_response import MessagingResponse

    return HttpResponse(str(MessagingResponse()), content_type="text/xml")
