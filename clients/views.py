from django.http import Http404


def my_bookings(request):
    raise Http404
