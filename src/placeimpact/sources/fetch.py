"""Download the official files into a cache folder laid out like ``../shared/data``.

::

    <cache>/ons-els/<dataset>/<dataset>.csv         ONS Explore Local Statistics (GitHub raw files)
    <cache>/ons-els/<dataset>/<dataset>.json        its metadata (optional: skipped if absent)
    <cache>/fingertips-api/<indicator>-<type>.csv   Fingertips API all_data/csv, one indicator x area type
    <cache>/.fetch-manifest.json                    url, ETag, size and SHA-256 of each file fetched

A file already in the cache is not downloaded again when the server's ``ETag`` equals the
one recorded, or (no ETag) its ``Content-Length`` equals the file's size. Transient
failures are retried with exponential backoff (:class:`RetryPolicy`). ``mirror`` reads
the same layout from a local folder instead of the network. :func:`fetch` only fills
the cache; ``placeimpact data fetch`` then loads it into the store.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Literal

import httpx

from ..errors import FetchError
from ._http import RetryPolicy, make_client, request
from .fingertips_api import DEFAULT_BASE as FINGERTIPS_BASE
from .fingertips_api import FingertipsClient, file_name

__all__ = ["ONS_BASE", "FINGERTIPS_BASE", "ONS_DATASETS", "FetchItem", "FetchReport", "plan", "fetch"]

ONS_BASE = "https://raw.githubusercontent.com/ONSdigital/explore-local-statistics-data/main"
MANIFEST = ".fetch-manifest.json"

#: ONS ELS datasets fetched by default: those with a ``<dataset>.csv`` at the commit copied to ../shared/data
ONS_DATASETS: tuple[str, ...] = tuple("""
adult-obesity-prevalence apprenticeships-ni apprenticeships-scotland apprenticeships average-travel-time
business-demography cancer-diagnosis-at-stage-1-and-2 children-in-relative-poverty cigarette-smokers claimant-count
domestic-electricity-consumption domestic-gas-consumption early-years employment-rate-ni employment-rate
engagement-with-culture-and-heritage environment-regulating first-time-buyer-mortgage-sales food-outlets
foreign-direct-investment further-education-and-skills-learner-achievements
further-education-and-skills-participation gcses-in-english-and-maths gigabit-capable-broadband
greenhouse-gas-emissions gross-disposable-household-income-per-head gross-median-weekly-pay gross-value-added
healthy-life-expectancy homicide-offences housing-affordability-ratio library-walk modelled-unemployment
mortality-rate-from-coronary-heart-disease-scotland motor-vehicle-flow museums
net-additions-to-the-housing-stock-northern-ireland net-additions-to-the-housing-stock-wales
net-additions-to-the-housing-stock network-coverage-4g network-coverage-5g persistent-absences-for-all-pupils
persistent-absences-for-pupils-eligible-for-free-school-meals
persistent-absences-for-pupils-looked-after-by-local-authorities personal-wellbeing-estimates premises-below-30
preventable-cardiovascular-mortality-england preventable-cardiovascular-mortality-ni public-electric-vehicle-chargers
pupils-at-expected-standards-by-end-of-primary-school qualifications-level-3-or-above-ni
qualifications-level-3-or-above qualifications-none-gb railway-station-walk research-and-development-business
research-and-development-public-funded short-term-let-average-length-of-stay short-term-let-number-of-guests-nights
sports-facilities supermarkets total-value-of-uk-exports
""".split())

Status = Literal["downloaded", "cached", "copied", "absent"]


@dataclass(frozen=True)
class FetchItem:
    """One file to fetch: where it goes in the cache, where it comes from, whether it may be absent."""

    relpath: str
    url: str
    params: tuple[tuple[str, str], ...] = ()
    optional: bool = False


@dataclass(frozen=True)
class FetchReport:
    """What :func:`fetch` did, one row per file."""

    root: Path
    results: tuple[tuple[str, str, int], ...] = field(default=())  # (relpath, status, bytes)

    def count(self, status: Status) -> int:
        return sum(1 for _, s, _ in self.results if s == status)

    def summary(self) -> str:
        nbytes = sum(b for _, s, b in self.results if s in ("downloaded", "copied"))
        return (f"{len(self.results)} files: {self.count('downloaded')} downloaded, {self.count('copied')} copied "
                f"from the mirror, {self.count('cached')} already cached, {self.count('absent')} absent (optional); "
                f"{nbytes / 1e6:.1f} MB into {self.root}")


def plan(*, datasets: Iterable[str] | None = None, indicators: Iterable[int | str] = (),
         area_types: Iterable[int] = (502,), ons_base: str = ONS_BASE,
         fingertips_base: str = FINGERTIPS_BASE) -> list[FetchItem]:
    """The files to fetch: each dataset's CSV and JSON, and each indicator at each area type."""
    items = []
    for ds in (ONS_DATASETS if datasets is None else tuple(datasets)):
        ds = ds.strip().strip("/")
        if not ds or "/" in ds or ds.startswith("."):
            raise FetchError("not an ONS Explore Local Statistics dataset name", field="--dataset",
                             expected="a folder name such as healthy-life-expectancy", got=ds)
        for ext, optional in (("csv", False), ("json", True)):
            items.append(FetchItem(f"ons-els/{ds}/{ds}.{ext}", f"{ons_base.rstrip('/')}/{ds}/{ds}.{ext}",
                                   optional=optional))
    for ind in indicators:
        for at in area_types:
            p = FingertipsClient.params([ind], int(at))
            items.append(FetchItem(f"fingertips-api/{file_name(ind, at)}",
                                   f"{fingertips_base.rstrip('/')}/all_data/csv/by_indicator_id",
                                   tuple(p.items())))
    return items


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _load_manifest(root: Path) -> dict:
    try:
        return json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def _write_atomic(dest: Path, data: bytes) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(dest)


def _is_current(client: httpx.Client, item: FetchItem, dest: Path, entry: dict | None,
                policy: RetryPolicy, sleep: Callable[[float], None]) -> bool:
    """True when the cached file matches the server's ETag, or (no ETag) its Content-Length."""
    if not dest.exists() or entry is None:
        return False
    try:
        head = request(client, "HEAD", item.url, params=dict(item.params) or None, policy=policy, sleep=sleep)
    except FetchError:
        return False  # the GET that follows reports the real problem
    etag = head.headers.get("etag")
    if etag and entry.get("etag"):
        return etag == entry["etag"]
    size = head.headers.get("content-length")
    return size is not None and int(size) == dest.stat().st_size == entry.get("size")


def fetch(
    root: Path,
    *,
    items: list[FetchItem] | None = None,
    mirror: Path | None = None,
    transport: httpx.BaseTransport | None = None,
    timeout: float = 30.0,
    retry: RetryPolicy = RetryPolicy(),
    progress: Callable[[FetchItem, str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> FetchReport:
    """Fill the cache folder ``root`` with ``items`` (default :func:`plan` ()) and return what happened.

    Raises :class:`FetchError` (naming the URL or mirror path) when a required file cannot
    be had; files fetched before the error stay in the cache, so a rerun resumes.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    items = plan() if items is None else items
    manifest = _load_manifest(root)
    results: list[tuple[str, str, int]] = []
    client = None if mirror is not None else make_client(transport=transport, timeout=timeout)
    try:
        for item in items:
            dest = root / item.relpath
            if client is None:
                status, nbytes = _from_mirror(Path(mirror), item, dest)  # type: ignore[arg-type]
            else:
                status, nbytes, etag = _from_http(client, item, dest, manifest.get(item.relpath), retry, sleep)
                if status == "downloaded":
                    url = client.build_request("GET", item.url, params=dict(item.params) or None).url
                    manifest[item.relpath] = {"url": str(url), "etag": etag, "size": nbytes, "sha256": _sha256(dest)}
                    (root / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
            results.append((item.relpath, status, nbytes))
            if progress is not None:
                progress(item, status)
    finally:
        if client is not None:
            client.close()
    return FetchReport(root, tuple(results))


def _from_http(client: httpx.Client, item: FetchItem, dest: Path, entry: dict | None,
               policy: RetryPolicy, sleep: Callable[[float], None]) -> tuple[str, int, str | None]:
    """(status, bytes, ETag) of one file fetched over HTTP."""
    if _is_current(client, item, dest, entry, policy, sleep):
        return "cached", dest.stat().st_size, entry.get("etag") if entry else None
    ok = frozenset({200, 404}) if item.optional else frozenset({200})
    resp = request(client, "GET", item.url, params=dict(item.params) or None, policy=policy, sleep=sleep, ok=ok)
    if resp.status_code == 404:
        return "absent", 0, None
    _write_atomic(dest, resp.content)
    return "downloaded", len(resp.content), resp.headers.get("etag")


def _from_mirror(mirror: Path, item: FetchItem, dest: Path) -> tuple[str, int]:
    src = mirror / item.relpath
    if not src.is_file():
        if item.optional:
            return "absent", 0
        raise FetchError("the mirror lacks a file", path=src, expected=f"the layout {item.relpath}",
                         hint="Copy the file into the mirror, or fetch without --mirror")
    size = src.stat().st_size
    if dest.exists() and dest.stat().st_size == size and _sha256(dest) == _sha256(src):
        return "cached", size
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    shutil.copyfile(src, tmp)
    tmp.replace(dest)
    return "copied", size
