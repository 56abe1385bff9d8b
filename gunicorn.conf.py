"""gunicorn's settings for the web container: ``gunicorn -c gunicorn.conf.py spatheory.wsgi``.

Command-line options override these (the tests bind a loopback port this way)."""

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
