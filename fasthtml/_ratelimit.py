"""Rate-limit counters shared by every worker process: fixed windows counted atomically, in Redis or in the database.

`Accounts` counts login and sign-up attempts per account and per client address. The counters must be shared by all
workers (and hosts), and counted atomically, or N workers (or N parallel requests) would each allow the full limit.
`attempt(key, window)` adds one attempt and returns the count in the current window and the seconds the window has
left, in one atomic step, so a request is refused before it runs as soon as the count passes the limit.

Two stores with the same methods:
- `DbCounters`: a table in the app's database (SQLite or PostgreSQL): one `INSERT ... ON CONFLICT DO UPDATE ...
  RETURNING` per attempt, atomic in both. Shared by every process using that database.
- `RedisCounters`: Redis keys that expire with their window (`SET NX EX` + `INCR` in a MULTI). Used when a Redis URL is
  configured (`FASTHTML_PUBSUB_URL`); if Redis stops answering, counting falls back to the database store (logged),
  so an outage neither locks everybody out nor switches the limits off.
"""
from __future__ import annotations

import logging
import os
import random
import time
from typing import Any

__all__ = ['DbCounters', 'RedisCounters', 'counters_for', 'redis_url_from_env']

log = logging.getLogger('fasthtml.ratelimit')


def redis_url_from_env() -> str | None:
    "The Redis URL the deployment configured for cross-worker state (`FASTHTML_PUBSUB_URL`), if it is one."
    url = os.environ.get('FASTHTML_PUBSUB_URL', '').strip()
    return url if url.startswith(('redis://', 'rediss://', 'unix://')) else None


class DbCounters:
    "Attempt counters in table `table` (key, fails, since) of a fastlite or fasthtml.db database."

    def __init__(self, db: Any, table: str) -> None:
        self.db, self.table = db, table
        db.t[table].create(dict(key=str, fails=int, since=float), pk='key', if_not_exists=True)
        t = table
        self._hit = (f'INSERT INTO {t} (key, fails, since) VALUES (?, 1, ?) ON CONFLICT (key) DO UPDATE SET '
                     f'fails = CASE WHEN {t}.since <= ? THEN 1 ELSE {t}.fails + 1 END, '
                     f'since = CASE WHEN {t}.since <= ? THEN excluded.since ELSE {t}.since END '
                     f'RETURNING fails, since')

    def attempt(self, key: str, window: float) -> tuple[int, float]:
        "Count one attempt on `key`; (attempts in the current window, seconds left in it)."
        now = time.time()
        start = now - window
        rows = list(self.db.q(self._hit, (key, now, start, start)))
        if random.random() < 0.01:  # now and then, forget windows long over
            self.db.execute(f'DELETE FROM {self.table} WHERE since < ?', (now - 2 * window,))
        return _result(rows, now, window)

    def peek(self, key: str, window: float) -> tuple[int, float]:
        "The attempts on `key` in the current window and the seconds left in it, without counting one."
        now = time.time()
        rows = [r for r in self.db.q(f'SELECT fails, since FROM {self.table} WHERE key = ?', (key,))
                if now - r['since'] < window]
        return _result(rows, now, window)

    def forgive(self, key: str) -> None:
        "Take back one attempt on `key` (it turned out well)."
        self.db.execute(f'UPDATE {self.table} SET fails = fails - 1 WHERE key = ? AND fails > 0', (key,))

    def clear(self, key: str) -> None:
        "Forget every attempt on `key`."
        self.db.execute(f'DELETE FROM {self.table} WHERE key = ?', (key,))


def _result(rows: list, now: float, window: float) -> tuple[int, float]:
    if not rows:
        return 0, 0.0
    return int(rows[0]['fails']), max(0.0, window - (now - float(rows[0]['since'])))


_FORGIVE = "if redis.call('GET', KEYS[1]) then return redis.call('DECR', KEYS[1]) end return 0"


class RedisCounters:
    "Attempt counters in Redis (keys `prefix` + key, expiring with their window); `fallback` when Redis fails."

    def __init__(self, url: str, prefix: str, fallback: DbCounters | None = None) -> None:
        import redis
        self.redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.prefix, self.fallback, self.errors = prefix, fallback, (redis.RedisError, OSError)
        self._forgive = self.redis.register_script(_FORGIVE)

    def _failed(self, what: str, e: BaseException) -> DbCounters:
        log.error('rate-limit counters: Redis failed (%s: %s); counting in the database instead', what, e)
        if self.fallback is None:
            raise e
        return self.fallback

    def attempt(self, key: str, window: float) -> tuple[int, float]:
        "Count one attempt on `key`; (attempts in the current window, seconds left in it)."
        k = self.prefix + key
        try:
            p = self.redis.pipeline(transaction=True)
            p.set(k, 0, ex=max(1, int(window)), nx=True)
            p.incr(k)
            p.pttl(k)
            _, n, ttl = p.execute()
        except self.errors as e:
            return self._failed('attempt', e).attempt(key, window)
        return int(n), max(0.0, ttl / 1000) if ttl and ttl > 0 else float(window)

    def peek(self, key: str, window: float) -> tuple[int, float]:
        "The attempts on `key` in the current window and the seconds left in it, without counting one."
        k = self.prefix + key
        try:
            p = self.redis.pipeline(transaction=True)
            p.get(k)
            p.pttl(k)
            n, ttl = p.execute()
        except self.errors as e:
            return self._failed('peek', e).peek(key, window)
        return (int(n), max(0.0, ttl / 1000)) if n is not None else (0, 0.0)

    def forgive(self, key: str) -> None:
        "Take back one attempt on `key`."
        try:
            self._forgive(keys=[self.prefix + key])
        except self.errors as e:
            self._failed('forgive', e).forgive(key)

    def clear(self, key: str) -> None:
        "Forget every attempt on `key`."
        try:
            self.redis.delete(self.prefix + key)
        except self.errors as e:
            self._failed('clear', e).clear(key)


def counters_for(db: Any, table: str, redis_url: str | None) -> DbCounters | RedisCounters:
    "Redis counters when `redis_url` is given (falling back to the database table), else the database table."
    store = DbCounters(db, table)
    if redis_url:
        return RedisCounters(redis_url, f'fasthtml:ratelimit:{table}:', fallback=store)
    return store
