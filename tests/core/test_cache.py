"""backend.core.cache.RedisCache against a real redis-server (started here on a free port):
Django's Redis cache, answering the same, with one client per connection pool."""
import threading

import pytest

from backend.core.cache import RedisCache
from tests.broker import RedisServer, running

pytestmark = pytest.mark.skipif(not RedisServer.available(), reason="needs redis-server")


@pytest.fixture(scope="module")
def redis_url():
    with running(RedisServer()) as server:
        yield server.url(db=3)


@pytest.fixture
def cache(redis_url):
    cache = RedisCache(redis_url, {"KEY_PREFIX": "cache-test"})
    yield cache
    cache.clear()


def test_it_keeps_and_answers_like_djangos(cache):
    assert cache.get("route", "absent") == "absent"
    cache.set("route", {"stops": [1, 2], "etag": '"ab"'}, 60)
    assert cache.get("route") == {"stops": [1, 2], "etag": '"ab"'}
    assert cache.add("route", "other", 60) is False
    cache.set_many({"door:1": "a", "door:2": ("b", 2)}, 60)
    assert cache.get_many(["door:1", "door:2", "door:3"]) == {"door:1": "a", "door:2": ("b", 2)}
    assert cache.add("n", 1, 60) is True
    assert cache.incr("n", 2) == 3
    assert cache.delete("route") is True
    assert cache.get("route") is None
    cache.set("gone", 1, 0)  # a timeout of 0 keeps nothing, as Django's backend
    assert cache.get("gone") is None


def test_one_client_serves_every_call_of_a_pool(cache):
    client = cache._cache.get_client()
    cache.set("a", 1, 60)
    assert cache._cache.get_client(write=True) is client
    assert client.get(cache.make_key("a")) is not None  # the client the cache talks through


def test_the_kept_client_is_shared_by_threads(cache):
    wrong: list[str] = []

    def work(n: int) -> None:
        for i in range(200):
            key = f"t{n}:{i}"
            cache.set(key, (n, i), 60)
            if cache.get(key) != (n, i):
                wrong.append(key)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
    assert len(cache.get_many([f"t{n}:199" for n in range(8)])) == 8
