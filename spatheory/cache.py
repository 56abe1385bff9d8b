"""A Redis cache that degrades to a miss when Redis is unreachable.

Pages and the rate limiter use the cache as an optimisation; a Redis outage must
slow them down, never break them.
"""

import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def _fail_open(method_name: str, fallback):
    def method(self, *args, **kwargs):
        try:
            return getattr(RedisCache, method_name)(self, *args, **kwargs)
        except (RedisError, OSError) as exc:
            logger.warning("cache %s failed open: %s", method_name, exc.__class__.__name__)
            return fallback(*args, **kwargs) if callable(fallback) else fallback

    method.__name__ = method_name
    return method


def _default_of_get(key, default=None, version=None):
    return default


class FailOpenRedisCache(RedisCache):
    get = _fail_open("get", _default_of_get)
    set = _fail_open("set", None)
    add = _fail_open("add", False)
    delete = _fail_open("delete", False)
    touch = _fail_open("touch", False)
    incr = _fail_open("incr", None)
    get_many = _fail_open("get_many", {})
    set_many = _fail_open("set_many", [])
    delete_many = _fail_open("delete_many", None)
    has_key = _fail_open("has_key", False)
    clear = _fail_open("clear", False)
