"""Notifications: every email and text a booking change owes someone, sent through an outbox.

- ``messages``: what each kind means (audience, subject, templates, invite) and rendering.
- ``recipients``: who hears about a booking change, with which kind.
- ``outbox``: rows written in the changing transaction, published to Celery after commit,
  swept, retried over hours; the beat jobs that queue reminders, the staff digest and the
  alert about messages that failed for good.
- ``delivery``: claiming and sending one row, exactly once on every path but one.
- ``texting``: texts through Twilio (or to the log), and checking Twilio's webhook signature.
- ``optouts``: STOP and START replies; a number that replied STOP gets no text.

The one gap: a worker dying after the mail server accepted a message and before the row is
marked sent leaves the row ``sending``; the sweep returns it to pending after
``NOTIFICATION_STALE_SENDING_MINUTES``, so that message may go out twice. We chose
at-least-once there: a client with two identical confirmations is better off than a client
with none.

Imports run one way: outbox -> recipients -> messages; delivery -> messages, texting and
optouts; ``booking.tasks`` calls outbox and delivery, and the outbox publishes to the send
task by name. The same gap holds for a text Twilio accepted.
"""
