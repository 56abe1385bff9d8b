"""gunicorn's settings for the web container: ``gunicorn -c gunicorn.conf.py spatheory.wsgi``.

Command-line options override these (the tests bind a loopback port this way)."""

import gc
from importlib import import_module

from gunicorn.glogging import Logger

from spatheory.logging import RedactTokens

bind = "0.0.0.0:8000"
workers = 3
accesslog = "-"
# The app is loaded once, in the master, and forked into the workers, which share its memory
# until they write to it (see when_ready). New code therefore needs a restart, not a HUP.
preload_app = True


class TokenRedactingLogger(Logger):
    """gunicorn's own logger, with booking and job tokens replaced by ``<token>`` in the access
    log (the request line and the Referer) and the error log."""

    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.access_log, self.error_log):
            if not any(isinstance(existing, RedactTokens) for existing in log.filters):
                log.addFilter(RedactTokens())


logger_class = TokenRedactingLogger


def when_ready(server):
    """In the master, with the app loaded and no worker started yet: load what each worker's
    first request would otherwise load on its own (the URL patterns with every view, the API
    and its schemas; the template tag libraries), then freeze it all, so the workers share
    these pages and a worker's first request no longer loads them."""
    if not server.cfg.preload_app:
        return
    from django.conf import settings
    from django.db import connections
    from django.template import engines

    import_module(settings.ROOT_URLCONF)
    engines.all()
    # A connection opened here would be one socket shared by every worker.
    connections.close_all()
    gc.freeze()


def post_worker_init(worker):
    """Move everything loaded at start-up (the app, frozen already in the master, and what the
    worker's own start created) out of the cyclic collector's reach: it then scans only what
    requests create, instead of walking the whole start-up heap again on every full
    collection."""
    gc.freeze()
