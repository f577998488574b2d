"""Django's Redis cache, with one Redis client per connection pool instead of one per call.

`django.core.cache.backends.redis.RedisCacheClient.get_client` builds a new `redis.Redis` on
every cache call (its command table and response callbacks copied each time, and a `__del__`
run when it goes), which showed as a few per cent of all the web CPU under load. A client
over a `ConnectionPool` keeps no state of its own between commands and may be shared, also
between threads, so one is made per pool and kept. Everything else is Django's.

Settings: `CACHE_BACKEND=backend.core.cache.RedisCache` (the same LOCATION and OPTIONS).
"""
from __future__ import annotations

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))  # pools live as long as this object
        if client is None:
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
