"""A Redis cache that degrades to a miss when Redis is unreachable.

Pages and the rate limiter use the cache as an optimisation; a Redis outage must
slow them down, never break them.
"""

import logging

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
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


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's client makes a new ``redis.Redis`` for every operation, which costs about as
    much as the operation itself (it builds the response-callback table each time); one per
    connection pool does the same work, as a client is safe to share."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class FailOpenRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

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
