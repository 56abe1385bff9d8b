"""The therapists' portal: their jobs, the job actions, their hours and time off.

Every page needs a signed-in therapist (``therapist_required``); a staff account is refused,
and pages are kept out of caches and search results. Job pages show the client's details only
inside the window ``appointment_details_visible`` sets, as the job link's page does.
"""

import secrets
from collections import Counter
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from booking import job_actions
from booking.formatting import local_time, local_when
from booking.job_actions import Action, job_actions_allowed, job_stage
from booking.selectors import appointment_decline_deadline
from booking.services import appointment_decline
from booking.views.jobs import job_page_context
from payments.gateway import payments_enabled
from payments.selectors import therapist_earnings_by_week
from therapists.models import WorkingHours

from .forms import DayHoursFormSet, RunningLateForm, TimeOffForm
from .selectors import (
    job_get,
    job_list_today_and_upcoming,
    therapist_for_user,
    time_off_list_upcoming,
)
from .services import time_off_add, working_hours_replace


def therapist_required(view):
    """Sign-in first; then only a therapist's own account gets in (never staff)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("account_login"))
        therapist = therapist_for_user(user=request.user)
        if therapist is None:
            response = render(request, "pro/not_a_therapist.html", status=403)
        else:
            request.therapist = therapist
            response = view(request, *args, **kwargs)
        response["Cache-Control"] = "private, no-store"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapper


def _partners(appointment) -> list[str]:
    return [
        other.therapist.first_name
        for other in appointment.booking.active_appointments
        if other.pk != appointment.pk
    ]


def _job_card(appointment, now) -> dict:
    events = list(appointment.events.all())
    return job_page_context(appointment=appointment, now=now, partners=_partners(appointment)) | {
        "stage": job_stage(events=events),
        "allowed": job_actions_allowed(appointment=appointment, events=events, now=now),
        "arrives": next((local_time(e.expected_at) for e in reversed(events) if e.expected_at), ""),
    }


@therapist_required
def jobs(request):
    now = timezone.now()
    today = timezone.localdate()
    cards = [
        _job_card(appointment, now)
        for appointment in job_list_today_and_upcoming(therapist=request.therapist, now=now)
    ]
    on_day = [(timezone.localtime(c["appointment"].starts_at).date(), c) for c in cards]
    context = {
        "today": [card for day, card in on_day if day <= today],
        "upcoming": [card for day, card in on_day if day > today],
        "therapist": request.therapist,
    }
    return render(request, "pro/job_list.html", context)


def _own_job(request, pk):
    appointment = job_get(therapist=request.therapist, pk=pk)
    if appointment is None:
        raise Http404("No job of yours here.")
    return appointment


@therapist_required
def job(request, pk):
    now = timezone.now()
    appointment = _own_job(request, pk)
    context = _job_card(appointment, now) | {
        "actions_template": "pro/_job_actions.html",
        "late_form": RunningLateForm(),
        "request_key": secrets.token_urlsafe(16),
        "Action": Action,
        "can_decline": appointment.declined_at is None
        and now < appointment_decline_deadline(appointment=appointment),
        "decline_notice_hours": settings.DECLINE_NOTICE_HOURS,
    }
    return render(request, "pro/job_detail.html", context)


ACTIONS = {
    "on-my-way": (job_actions.job_on_my_way, "We've told the client you're on the way."),
    "start": (job_actions.job_start, "Started. Enjoy the session."),
    "complete": (job_actions.job_complete, "Job complete. Thank you!"),
    "no-show": (job_actions.job_mark_no_show, "Marked as a no-show. The office will follow up."),
}


@require_POST
@therapist_required
def job_action(request, pk, action):
    appointment = _own_job(request, pk)
    try:
        if action == "running-late":
            form = RunningLateForm(request.POST)
            if not form.is_valid():
                raise ValidationError("Choose 10, 20 or 30 minutes.")
            event = job_actions.job_running_late(
                appointment=appointment,
                therapist=request.therapist,
                minutes=form.cleaned_data["minutes"],
                request_key=form.cleaned_data["key"],
            )
            messages.success(
                request,
                f"We've told the client and the office you'll arrive at "
                f"{local_time(event.expected_at)}.",
            )
        elif action == "decline":
            if appointment_decline(appointment=appointment, therapist=request.therapist):
                messages.success(request, "Declined. The job has gone to another therapist.")
                return redirect("pro:jobs")
            messages.success(
                request,
                "Declined. The office is finding cover; the job stays on your list until they do.",
            )
        elif action in ACTIONS:
            service, done = ACTIONS[action]
            service(appointment=appointment, therapist=request.therapist)
            messages.success(request, done)
        else:
            raise Http404("No such action.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("pro:job", pk=appointment.pk)


def _days_with_more_stretches(therapist) -> list[str]:
    """Weekdays on which the office set more stretches than the form's two: saving the form
    would drop the rest."""
    counts = Counter(
        WorkingHours.objects.filter(therapist=therapist).values_list("weekday", flat=True)
    )
    return [WorkingHours.Weekday(day).label for day, count in sorted(counts.items()) if count > 2]


def _hours_initial(therapist) -> list[dict]:
    """Each weekday's first two windows, as the form shows them."""
    by_day = {day: [] for day in WorkingHours.Weekday.values}
    for window in WorkingHours.objects.filter(therapist=therapist).order_by("starts_at"):
        by_day[window.weekday].append(window)
    initial = []
    for windows in by_day.values():
        first, later = [*windows, None, None][:2]
        initial.append(
            {
                "works": first is not None,
                "starts_at": first and first.starts_at,
                "ends_at": first and first.ends_at,
                "later_starts_at": later and later.starts_at,
                "later_ends_at": later and later.ends_at,
            }
        )
    return initial


@require_http_methods(["GET", "POST"])
@therapist_required
def hours(request):
    therapist = request.therapist
    formset = DayHoursFormSet(request.POST or None, initial=_hours_initial(therapist))
    refusal = []
    beyond_the_form = _days_with_more_stretches(therapist)
    if beyond_the_form:
        refusal = [
            "The office set more than two stretches on these days, more than this page can "
            "show. To keep them, ask the office to change your hours:",
            *beyond_the_form,
        ]
    elif request.method == "POST" and formset.is_valid():
        windows = [w for day, form in enumerate(formset) for w in form.windows(day)]
        try:
            working_hours_replace(therapist=therapist, windows=windows)
        except ValidationError as error:
            refusal = error.messages
        else:
            messages.success(request, "Your hours are saved. Clients see the change now.")
            return redirect("pro:hours")
    # A tampered form count is refused by the formset; the page shows the seven days.
    days = list(zip(WorkingHours.Weekday.labels, formset.forms, strict=False))
    return render(request, "pro/hours.html", {"formset": formset, "days": days, "refusal": refusal})


@require_http_methods(["GET", "POST"])
@therapist_required
def time_off(request):
    therapist = request.therapist
    form = TimeOffForm(request.POST or None)
    refusal = []
    if request.method == "POST" and form.is_valid():
        starts_at, ends_at = form.period()
        try:
            time_off_add(
                therapist=therapist,
                starts_at=starts_at,
                ends_at=ends_at,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            refusal = error.messages
        else:
            messages.success(request, "Time off added. Clients can't book you then.")
            return redirect("pro:time_off")
    periods = [
        {"time_off": t, "starts": local_when(t.starts_at), "ends": local_when(t.ends_at)}
        for t in time_off_list_upcoming(therapist=therapist)
    ]
    return render(
        request, "pro/time_off.html", {"form": form, "periods": periods, "refusal": refusal}
    )


EARNINGS_WEEKS = 12


@require_GET
@therapist_required
def earnings(request):
    """What the therapist earned by week and by job: their share of the price, tips and fees."""
    weeks = therapist_earnings_by_week(
        therapist=request.therapist, weeks=EARNINGS_WEEKS, today=timezone.localdate()
    )
    context = {"weeks": weeks, "weeks_shown": EARNINGS_WEEKS, "payments_on": payments_enabled()}
    return render(request, "pro/earnings.html", context)
