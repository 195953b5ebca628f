"""Benchmark: the web app (``placeimpact serve``) as a user and as a crowd, on 127.0.0.1 only.

Targets (issue 15): the Wigan Deal evaluation's first request under 5 s and a repeated request
under 300 ms (the cache); the area page under 500 ms; 50 concurrent clients on the area page
for 30 s with zero errors (p95 printed); the report HTML under 2 MB, opening in chromium in
under 1 s.

    .venv/bin/python bench/bench_web.py [--store PATH] [--clients 50] [--duration 30] [--repeat 5]

The server runs in its own process (``placeimpact serve``), started and stopped here; the load
test stops by itself after ``--duration`` seconds. The "first request" of the evaluation is
timed from the first GET to the moment the report is ready, polling every 0.1 s (a browser
follows the progress page's one-second polling, so it sees the report up to a second later).
Same-run ratios are printed against the cheapest route (``/favicon.ico``, the server's floor).
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import httpx  # noqa: E402

from _util import as_installed, store_path  # noqa: E402

EVALUATE = "/evaluate?framework=wigan-deal"
AREA = "/area/E08000010"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _median_ms(client: httpx.Client, url: str, n: int) -> tuple[float, float, float]:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        r = client.get(url)
        r.raise_for_status()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), min(times), max(times)


async def _crowd(base: str, url: str, clients: int, duration: float) -> tuple[list[float], int, int]:
    """``clients`` concurrent loops requesting ``url`` until ``duration`` has passed: latencies (ms), errors, total."""
    lat: list[float] = []
    errors = 0
    stop = time.monotonic() + duration

    async def one(c: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.monotonic() < stop:
            t = time.perf_counter()
            try:
                r = await c.get(url)
                if r.status_code != 200:
                    errors += 1
            except httpx.HTTPError:
                errors += 1
            lat.append((time.perf_counter() - t) * 1000)

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as c:
        await asyncio.gather(*(one(c) for _ in range(clients)))
    return lat, errors, len(lat)


def _open_in_chromium(html_path: Path, repeat: int) -> list[float] | None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not Path("/usr/bin/chromium").exists():
        return None
    times = []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = b.new_page(viewport={"width": 1366, "height": 900})
        for _ in range(repeat):
            t = time.perf_counter()
            page.goto(html_path.resolve().as_uri(), wait_until="load")
            times.append(time.perf_counter() - t)
        b.close()
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, default=None, help="a loaded store (default $PLACEIMPACT_STORE)")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--duration", type=float, default=30.0)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    tmp = tempfile.TemporaryDirectory(prefix="bench-web-")
    path = store_path(args.store, tmp.name)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    exe = Path(sys.executable).with_name("placeimpact")
    server = subprocess.Popen([str(exe), "serve", "--store", str(path), "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=as_installed(ROOT / "src"))
    try:
        with httpx.Client(base_url=base, timeout=120) as c:
            deadline = time.monotonic() + 60
            while True:
                try:
                    c.get("/favicon.ico")
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("the server did not start")
                    time.sleep(0.2)
            floor = _median_ms(c, "/favicon.ico", 20)

            t = time.perf_counter()
            while True:
                r = c.get(EVALUATE)
                if r.headers.get("x-evaluation") != "running":
                    break
                time.sleep(0.1)
            first = time.perf_counter() - t
            assert r.status_code == 200 and 'id="answer-sentence"' in r.text, r.text[:500]
            report = r.text
            again = _median_ms(c, EVALUATE, args.repeat)

            t = time.perf_counter()
            c.get(AREA).raise_for_status()
            area_first = (time.perf_counter() - t) * 1000
            area = _median_ms(c, AREA, args.repeat * 2)

        print(f"server floor (/favicon.ico): median {floor[0]:.1f} ms")
        print(f"Wigan evaluation, first request until the report is ready: {first:.2f} s (target < 5 s)")
        print(f"Wigan evaluation, repeated (cache): median {again[0]:.1f} ms, range {again[1]:.1f}-{again[2]:.1f} "
              f"(target < 300 ms; {again[0] / floor[0]:.1f}x the floor)")
        print(f"area page: first {area_first:.0f} ms; repeated median {area[0]:.1f} ms, range {area[1]:.1f}-{area[2]:.1f} "
              f"(target < 500 ms; {area[0] / floor[0]:.1f}x the floor)")

        lat, errors, total = asyncio.run(_crowd(base, AREA, args.clients, args.duration))
        lat.sort()
        p50 = lat[len(lat) // 2] if lat else float("nan")
        p95 = lat[int(len(lat) * 0.95)] if lat else float("nan")
        print(f"{args.clients} concurrent clients on the area page for {args.duration:.0f} s: {total} requests "
              f"({total / args.duration:.0f}/s), {errors} errors, p50 {p50:.0f} ms, p95 {p95:.0f} ms, "
              f"max {lat[-1] if lat else float('nan'):.0f} ms")

        html = Path(tmp.name) / "report.html"
        html.write_text(report, encoding="utf-8")
        size = html.stat().st_size
        print(f"report HTML: {size / 1e6:.2f} MB (target < 2 MB)")
        opened = _open_in_chromium(html, args.repeat)
        if opened:
            print(f"report opened in chromium (to the load event): median {statistics.median(opened):.2f} s, "
                  f"range {min(opened):.2f}-{max(opened):.2f} (target < 1 s)")
        else:
            print("report opening time: chromium or Playwright not available (run scripts/setup.sh --test)")
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        tmp.cleanup()


if __name__ == "__main__":
    main()
