"""gunicorn's settings for the web container: ``gunicorn -c gunicorn.conf.py spatheory.wsgi``.

Command-line options override these (the tests bind a loopback port this way)."""

import gc

from gunicorn.glogging import Logger

from spatheory.logging import RedactTokens

bind = "0.0.0.0:8000"
workers = 3
accesslog = "-"


class TokenRedactingLogger(Logger):
    """gunicorn's own logger, with booking and job tokens replaced by ``<token>`` in the access
    log (the request line and the Referer) and the error log."""

    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.access_log, self.error_log):
            if not any(isinstance(existing, RedactTokens) for existing in log.filters):
                log.addFilter(RedactTokens())


logger_class = TokenRedactingLogger


def post_worker_init(worker):
    """Move everything the app loaded at start-up (modules, settings, URL patterns, templates)
    out of the cyclic collector's reach: it then scans only what requests create, instead of
    walking the whole start-up heap again on every full collection."""
    gc.freeze()
