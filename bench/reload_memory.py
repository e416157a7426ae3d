#!/usr/bin/env python3
"""Reload under load and memory: p50/p99 of GET /hello/{name} while the hello plugin is reloaded
every second vs steady state (zero failed requests expected); resident memory idle, per loaded
plugin, and over a soak at constant load (the slope says whether it grows).

Run by scripts/bench. Every process started here is stopped on exit; only 127.0.0.1 is contacted;
every load run is bounded in time.
"""
import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

from benchlib import System, fmt, free_port, median_of, wrk

PLUGINS = ["metrics", "resilience", "orders", "hello"]


def admin_post(port, path, body=None):
    data = json.dumps(body).encode() if body is not None else b""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def rss_kib(system):
    return system.rss_kib_and_threads()[0]


def heap_in_use_kib(system):
    """keel_heap_in_use_bytes from /metrics on the admin listener, in KiB (None if absent)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{system.admin}/metrics", timeout=10) as response:
            for line in response.read().decode().splitlines():
                if line.startswith("keel_heap_in_use_bytes "):
                    return float(line.split()[1]) / 1024
    except (urllib.error.URLError, OSError, ValueError):
        pass
    return None


def slope_kib_per_minute(samples, column=1):
    """Least-squares slope of (seconds, KiB, ...) samples (KiB in `column`), in KiB per minute."""
    samples = [s for s in samples if s[column] is not None]
    if len(samples) < 2:
        return float("nan")
    xs = [s[0] for s in samples]
    ys = [s[column] for s in samples]
    mx, my = statistics.mean(xs), statistics.mean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return 60.0 * sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else 0.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keel", required=True)
    parser.add_argument("--plugins", required=True)
    parser.add_argument("--config", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--soak", type=int, default=300, help="seconds of constant load for the memory slope")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="keel-bench-reload-")

    def keel(plugin_list):
        port, admin = free_port(), free_port()
        system = System("keel", [args.keel, "--config", args.config, "--define", f"server.port={port}",
                                 "--define", f"admin.port={admin}", "--define", "server.host=127.0.0.1",
                                 "--define", f"plugins.dir={args.plugins}", "--define", f"plugins.list={plugin_list}",
                                 "--define", f"database.url=sqlite:{work}/keel.db",
                                 "--define", "server.max_keep_alive_requests=0"], port)
        system.admin = admin
        return system

    system = keel("health, " + ", ".join(PLUGINS))
    steady, reloading, reloads, refused = [], [], [], []
    try:
        system.start()
        wrk(system.port, system.path, 16, 2)
        for round_number in range(args.rounds):
            runs = ["steady", "reload"] if round_number % 2 == 0 else ["reload", "steady"]
            for kind in runs:
                if kind == "steady":
                    steady.append(wrk(system.port, system.path, 64, args.seconds))
                    continue
                stop = threading.Event()
                statuses = []

                def reload_every_second():
                    while not stop.wait(1.0):
                        statuses.append(admin_post(system.admin, "/admin/plugins/hello/reload"))

                reloader = threading.Thread(target=reload_every_second)
                reloader.start()
                try:
                    reloading.append(wrk(system.port, system.path, 64, args.seconds))
                finally:
                    stop.set()
                    reloader.join()
                reloads.append(len(statuses))
                refused.append(sum(1 for s in statuses if s != 200))
            print(f"round {round_number + 1}: reload under load done", file=sys.stderr)
        system.stop()

        # Memory per plugin: start with health only, load the others one at a time.
        minimal = keel("health")
        minimal.path = "/health"
        minimal.start()
        time.sleep(1)
        base = rss_kib(minimal)
        per_plugin = []
        for name in PLUGINS:
            before = rss_kib(minimal)
            status = admin_post(minimal.admin, "/admin/plugins", {"name": name})
            time.sleep(1)
            per_plugin.append((name, status, rss_kib(minimal) - before))
        minimal.stop()

        # Soak: constant load, resident memory and the allocator's heap in use sampled every few
        # seconds.
        system.start()
        idle = rss_kib(system)
        samples = []
        started = time.time()
        load = subprocess.Popen(["wrk", "-t", "2", "-c", "64", "-d", f"{args.soak}s", "--timeout", "2s",
                                 f"http://127.0.0.1:{system.port}{system.path}"], stdout=subprocess.PIPE, text=True)
        interval = max(1.0, args.soak / 60)
        while load.poll() is None and time.time() - started < args.soak + 30:
            time.sleep(interval)
            samples.append((time.time() - started, rss_kib(system), heap_in_use_kib(system)))
        soak_out = load.communicate(timeout=60)[0]
        system.stop()
    finally:
        system.stop()
        subprocess.run(["rm", "-rf", work])

    print(f"\n### Reload under load: GET /hello/{{name}}, 64 connections, hello reloaded every second "
          f"(medians of {args.rounds} rounds of {args.seconds} s)\n")
    print("| State | Requests/s | p50 ms | p99 ms | Failed requests | Reloads (refused) |")
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| steady | {fmt(median_of(steady, 0))} | {median_of(steady, 3):.2f} | {median_of(steady, 1):.2f} | "
          f"{sum(r[2] for r in steady)} | - |")
    print(f"| reloading | {fmt(median_of(reloading, 0))} | {median_of(reloading, 3):.2f} | {median_of(reloading, 1):.2f} | "
          f"{sum(r[2] for r in reloading)} | {sum(reloads)} ({sum(refused)}) |")
    print(f"\np99 reloading / steady: {median_of(reloading, 1) / median_of(steady, 1):.2f}")

    print("\n### Memory\n")
    print("| Measure | Value |")
    print("|---|---:|")
    print(f"| resident, health plugin only, idle | {base / 1024:.1f} MiB |")
    for name, status, delta in per_plugin:
        print(f"| + plugin {name} (load answered {status}) | {delta:+,} KiB |")
    print(f"| resident, all plugins, idle | {idle / 1024:.1f} MiB |")
    steady_samples = samples[len(samples) // 10:]  # the first tenth is warm-up
    requests = 0
    for line in soak_out.splitlines():
        if "requests in" in line:
            requests = int(line.split()[0])
    if len(steady_samples) >= 2:
        print(f"| soak: {args.soak} s at constant load, {fmt(requests)} requests | "
              f"{steady_samples[0][1] / 1024:.1f} -> {steady_samples[-1][1] / 1024:.1f} MiB |")
        print(f"| soak slope after warm-up (least squares) | {slope_kib_per_minute(steady_samples):+.1f} KiB/min |")
        # glibc's per-thread arenas keep taking pages for a couple of minutes at full load before
        # they settle; a leak keeps the second half rising as well.
        second_half = samples[len(samples) // 2:]
        if len(second_half) >= 2:
            print(f"| soak slope, second half only | {slope_kib_per_minute(second_half):+.1f} KiB/min |")
        # Resident memory also counts pages touched once (stacks, arenas, code); the heap in use
        # is what a leak would grow.
        heap = [s for s in steady_samples if s[2] is not None]
        if len(heap) >= 2:
            print(f"| heap in use (keel_heap_in_use_bytes) after warm-up | "
                  f"{heap[0][2]:,.0f} -> {heap[-1][2]:,.0f} KiB |")
            print(f"| heap in use slope after warm-up (least squares) | "
                  f"{slope_kib_per_minute(steady_samples, 2):+.1f} KiB/min |")
            print(f"| heap in use slope, second half only | {slope_kib_per_minute(second_half, 2):+.1f} KiB/min |")
            print("\nThe heap in use counts the chunks glibc keeps in each thread's cache (tcache) as in use: it "
                  "rises while the caches of the I/O threads and workers fill, then levels off. With those caches "
                  "off (`GLIBC_TUNABLES=glibc.malloc.tcache_count=0`) it stays level; see benchmarks-method.md.")


if __name__ == "__main__":
    main()
