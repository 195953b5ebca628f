"""A small client for the Fingertips API's CSV data endpoint.

``GET {base}/all_data/csv/by_indicator_id?indicator_ids=93763&child_area_type_id=502``
returns every area of that type (with England and the parents) in the data CSV format
read by :mod:`.fingertips_csv`. Area types: 502 upper-tier local authorities (from April
2023), 501 lower-tier (from April 2023), 402 / 401 the April 2021 versions, 15 England,
6 regions; the Fingertips site lists them all.

The transport is swappable (``httpx.MockTransport`` or a local server in tests)::

    with FingertipsClient() as ft:
        path = ft.download(93763, child_area_type_id=502, folder=Path("cache/fingertips-api"))
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Iterable

import httpx

from ..records import Batch
from ._http import RetryPolicy, make_client, request

__all__ = ["FingertipsClient", "DEFAULT_BASE", "file_name"]

DEFAULT_BASE = "https://fingertips.phe.org.uk/api"


def file_name(indicator_id: int | str, child_area_type_id: int | str) -> str:
    """Cache file name of one indicator at one area type: ``<indicator>-<area type>.csv``."""
    return f"{int(indicator_id)}-{int(child_area_type_id)}.csv"


class FingertipsClient:
    """Fingertips API client.

    Parameters
    ----------
    base_url:
        API root, default :data:`DEFAULT_BASE` (a local server's URL in tests).
    transport:
        An ``httpx`` transport; default: the network.
    timeout:
        Seconds for connect, read and write.
    retry:
        Retries and backoff for transient failures.
    sleep:
        Waiting function between retries (tests pass a no-op).
    """

    def __init__(self, *, base_url: str = DEFAULT_BASE, transport: httpx.BaseTransport | None = None,
                 timeout: float = 60.0, retry: RetryPolicy = RetryPolicy(),
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.base_url = base_url.rstrip("/")
        self.retry = retry
        self._sleep = sleep
        self._client = make_client(transport=transport, timeout=timeout)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "FingertipsClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def params(indicator_ids: Iterable[int | str], child_area_type_id: int,
               parent_area_type_id: int | None = None) -> dict[str, str]:
        ids = ",".join(str(int(i)) for i in indicator_ids)
        p = {"indicator_ids": ids, "child_area_type_id": str(int(child_area_type_id))}
        if parent_area_type_id is not None:
            p["parent_area_type_id"] = str(int(parent_area_type_id))
        return p

    def url(self, indicator_ids: Iterable[int | str], *, child_area_type_id: int,
            parent_area_type_id: int | None = None) -> str:
        """Full URL of the CSV for these indicators and area type."""
        req = self._client.build_request("GET", f"{self.base_url}/all_data/csv/by_indicator_id",
                                         params=self.params(indicator_ids, child_area_type_id, parent_area_type_id))
        return str(req.url)

    def all_data_csv(self, indicator_ids: Iterable[int | str], *, child_area_type_id: int,
                     parent_area_type_id: int | None = None) -> bytes:
        """The CSV bytes (retried on transient failures; :class:`FetchError` when it cannot)."""
        resp = request(self._client, "GET", f"{self.base_url}/all_data/csv/by_indicator_id",
                       params=self.params(indicator_ids, child_area_type_id, parent_area_type_id),
                       policy=self.retry, sleep=self._sleep)
        return resp.content

    def download(self, indicator_id: int | str, *, child_area_type_id: int, folder: Path) -> Path:
        """Write one indicator's CSV to ``folder/<indicator>-<area type>.csv`` (atomically) and return it."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        dest = folder / file_name(indicator_id, child_area_type_id)
        data = self.all_data_csv([indicator_id], child_area_type_id=child_area_type_id)
        tmp = dest.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(dest)
        return dest

    def read(self, indicator_id: int | str, *, child_area_type_id: int, folder: Path) -> Batch:
        """Download one indicator and read it into a :class:`Batch` (the file is kept for provenance)."""
        from .fingertips_csv import read_file

        path = self.download(indicator_id, child_area_type_id=child_area_type_id, folder=folder)
        return read_file(path, key=f"fingertips-api/{path.name}")
