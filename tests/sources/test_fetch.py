"""``data fetch`` against a local HTTP server serving ../shared/data (this machine has no internet).

The server (127.0.0.1, random port, in a thread) serves ``/ons/<dataset>/<dataset>.csv``
from ``ons-els/``, ``/api/all_data/csv/by_indicator_id`` as the Fingertips API would
(real values of the FingertipsNext extract in the API's columns), ``/flaky/...`` failing
twice before answering and ``/slow/...`` answering after the client's timeout.
"""

from __future__ import annotations

import functools
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from ft_export import export_csv
from numpy.testing import assert_allclose

from placeimpact import FetchError, open_store
from placeimpact.sources import fetch as F
from placeimpact.sources._http import RetryPolicy

DATASETS = ["healthy-life-expectancy", "preventable-cardiovascular-mortality-england"]
FAST = RetryPolicy(retries=3, backoff=0.01)


class _Handler(SimpleHTTPRequestHandler):
    hits: dict[str, int]
    extract = None

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def _route(self) -> bytes | None:
        """Handle the special prefixes; None means: serve the file under /ons from ons-els/."""
        url = urlsplit(self.path)
        self.hits[url.path] = self.hits.get(url.path, 0) + 1
        if url.path.startswith("/flaky/") and self.hits[url.path] <= 2:
            self.send_error(503)
            return b""
        if url.path.startswith("/slow/"):
            time.sleep(0.6)
        path = url.path.removeprefix("/flaky").removeprefix("/slow")
        if path == "/api/all_data/csv/by_indicator_id":
            q = parse_qs(url.query)
            return export_csv(self.extract, q["indicator_ids"][0], int(q["child_area_type_id"][0]))
        self.path = path.replace("/ons/", "/ons-els/", 1)
        return None

    def _send(self, body: bytes, head: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def do_GET(self) -> None:
        body = self._route()
        if body is None:
            super().do_GET()
        elif body:
            self._send(body, head=False)

    def do_HEAD(self) -> None:
        body = self._route()
        if body is None:
            super().do_HEAD()
        elif body:
            self._send(body, head=True)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:  # the slow handler's client has gone
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


@pytest.fixture(scope="module")
def server(data_dir):
    hits: dict[str, int] = {}
    handler = type("H", (_Handler,), {"hits": hits, "extract": data_dir / "fingertips-nw-extract"})
    srv = _Server(("127.0.0.1", 0), functools.partial(handler, directory=str(data_dir)))
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}", hits
    srv.shutdown()
    srv.server_close()
    thread.join(5)


def test_download_cache_and_load(tmp_path, server, data_dir):
    base, _ = server
    items = F.plan(datasets=DATASETS, indicators=[93763], area_types=[502], ons_base=f"{base}/ons",
                   fingertips_base=f"{base}/api")
    first = F.fetch(tmp_path / "cache", items=items, retry=FAST)
    assert [s for _, s, _ in first.results] == ["downloaded"] * 5
    for ds in DATASETS:
        for ext in ("csv", "json"):
            rel = f"ons-els/{ds}/{ds}.{ext}"
            assert (tmp_path / "cache" / rel).read_bytes() == (data_dir / rel).read_bytes()
    again = F.fetch(tmp_path / "cache", items=items, retry=FAST)
    assert [s for _, s, _ in again.results] == ["cached"] * 5  # same Content-Length as recorded
    with open_store(tmp_path / "s.duckdb") as s:
        s.load(tmp_path / "cache")
        wigan = s.series("E08000010", "ons-els:preventable-cardiovascular-mortality-england")
        row = wigan[wigan.period_label == "2001-01-01/P3Y"].iloc[0]
        assert_allclose([row.value, row.lci95, row.uci95], [84.40979, 77.60514, 91.64692], rtol=0, atol=1e-9)
        ft = s.series("E08000010", "fingertips-csv:93763", sex="Persons", category="")
        assert_allclose(ft.loc[ft.period_label == "2018", "value"], [56.4099213775304], rtol=0, atol=0)  # healthdata.csv line 17714
        folders = s.folder_status().set_index("folder")
        assert folders.loc["fingertips-api", "files"] == 1 and folders.loc["ons-els", "files"] == 2


def test_retries_a_failing_endpoint_with_backoff(tmp_path, server):
    base, hits = server
    waits: list[float] = []
    items = F.plan(datasets=["healthy-life-expectancy"], ons_base=f"{base}/flaky/ons")
    report = F.fetch(tmp_path, items=items, retry=RetryPolicy(retries=3, backoff=0.01), sleep=waits.append)
    assert report.count("downloaded") == 2
    assert hits["/flaky/ons/healthy-life-expectancy/healthy-life-expectancy.csv"] == 3
    assert waits == [0.01, 0.02, 0.01, 0.02]  # two failures per file, doubling waits


def test_timeout_gives_a_clear_error(tmp_path, server):
    base, _ = server
    items = F.plan(datasets=["healthy-life-expectancy"], ons_base=f"{base}/slow/ons")
    t0 = time.perf_counter()
    with pytest.raises(FetchError, match="failed after 2 attempts") as ei:
        F.fetch(tmp_path, items=items, timeout=0.2, retry=RetryPolicy(retries=1, backoff=0.0))
    assert time.perf_counter() - t0 < 3
    assert "timed out" in str(ei.value.got) and ei.value.path.endswith("healthy-life-expectancy.csv")


def test_missing_dataset_is_not_retried(tmp_path, server):
    base, hits = server
    with pytest.raises(FetchError, match="HTTP 404") as ei:
        F.fetch(tmp_path, items=F.plan(datasets=["no-such-dataset"], ons_base=f"{base}/ons"), retry=FAST)
    assert ei.value.path.endswith("/ons/no-such-dataset/no-such-dataset.csv")
    assert hits["/ons/no-such-dataset/no-such-dataset.csv"] == 1


def test_mirror_reads_the_same_layout(tmp_path, data_dir):
    items = F.plan(datasets=DATASETS)
    first = F.fetch(tmp_path, items=items, mirror=data_dir)
    assert first.count("copied") == 4
    assert F.fetch(tmp_path, items=items, mirror=data_dir).count("cached") == 4
    with pytest.raises(FetchError, match="mirror lacks a file") as ei:
        F.fetch(tmp_path, items=F.plan(datasets=["no-such-dataset"]), mirror=data_dir)
    assert ei.value.path.endswith("no-such-dataset.csv")


def test_cli_fetch_then_series(tmp_path, server, monkeypatch, capsys):
    from placeimpact.cli import main

    base, _ = server
    store = tmp_path / "cli.duckdb"
    monkeypatch.setattr(sys, "argv", ["placeimpact", "data", "fetch", "--cache", str(tmp_path / "c"),
                                      "--dataset", "preventable-cardiovascular-mortality-england",
                                      "--ons-base", f"{base}/ons", "--store", str(store), "--retries", "0"])
    main()
    assert "2 downloaded" in capsys.readouterr().out
    monkeypatch.setattr(sys, "argv", ["placeimpact", "series", "--area", "Wigan", "--indicator",
                                      "ons-els:preventable-cardiovascular-mortality-england", "--store", str(store),
                                      "--format", "csv"])
    main()
    out = capsys.readouterr().out.splitlines()
    assert out[1].startswith("E08000010,Wigan,") and ",2001-01-01/P3Y,2001-01-01,2003-12-31,84.40979,77.60514," \
        "91.64692," in out[1]
