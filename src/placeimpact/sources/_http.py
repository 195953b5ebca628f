"""HTTP with retries, exponential backoff and timeouts (shared by the Fingertips client and ``fetch``).

Network code takes an ``httpx`` transport so tests run without a network
(``httpx.MockTransport`` or a local server). Retried: connection errors, timeouts and
HTTP 429/500/502/503/504. Not retried: other 4xx (the request itself is wrong).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import httpx

from ..errors import FetchError

__all__ = ["RetryPolicy", "RETRY_STATUS", "request", "make_client"]

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """``retries`` extra attempts after the first; waits ``backoff * 2**k`` seconds (at most ``max_backoff``)."""

    retries: int = 3
    backoff: float = 0.5
    max_backoff: float = 8.0

    def __post_init__(self) -> None:
        if self.retries < 0 or self.backoff < 0 or self.max_backoff < 0:
            raise ValueError(f"retries and backoffs must be >= 0, got {self}")

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (0-based)."""
        return min(self.backoff * 2.0 ** attempt, self.max_backoff)


def make_client(*, transport: httpx.BaseTransport | None = None, timeout: float = 30.0) -> httpx.Client:
    """An ``httpx.Client`` following redirects, with one timeout for connect, read and write."""
    return httpx.Client(transport=transport, timeout=httpx.Timeout(timeout), follow_redirects=True,
                        headers={"User-Agent": "placeimpact (+https://github.com/placeimpact)"})


def request(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    params: dict | None = None,
    headers: dict | None = None,
    policy: RetryPolicy = RetryPolicy(),
    sleep: Callable[[float], None] = time.sleep,
    ok: frozenset[int] = frozenset({200}),
) -> httpx.Response:
    """Send a request, retrying transient failures; raise :class:`FetchError` when out of attempts.

    A status in ``ok`` is returned; a retryable status or error is retried; anything
    else raises at once, naming the URL and the status.
    """
    last: str = ""
    for attempt in range(policy.retries + 1):
        try:
            resp = client.request(method, url, params=params, headers=headers)
        except httpx.TimeoutException as exc:
            last = f"timed out after {client.timeout.read}s ({type(exc).__name__})"
        except httpx.TransportError as exc:
            last = f"connection failed ({type(exc).__name__}: {exc})"
        else:
            if resp.status_code in ok:
                return resp
            if resp.status_code not in RETRY_STATUS:
                raise FetchError(f"the server answered HTTP {resp.status_code}", path=str(resp.url),
                                 expected="HTTP " + " or ".join(map(str, sorted(ok))), got=resp.status_code,
                                 hint="Check the dataset name, indicator id or area type, or the base URL")
            last = f"HTTP {resp.status_code}"
        if attempt < policy.retries:
            sleep(policy.delay(attempt))
    target = str(client.build_request(method, url, params=params).url)
    raise FetchError(f"the download failed after {policy.retries + 1} attempts", path=target,
                     expected="a successful response", got=last,
                     hint="Check the network, retry later, or use --mirror DIR with a local copy")
