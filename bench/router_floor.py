#!/usr/bin/env python3
"""Router floor: GET /hello/{name} through Keel's full default middleware, next to the Poco front
door Keel used before, a bare Poco HTTPServer and nginx `return 200`, measured in one run with the
systems alternating, several rounds, medians and ratios. Also resident memory and threads per idle
keep-alive connection, and /health p99 while thousands of idle connections are open.

Run by scripts/bench, which builds what this needs; every process it starts is stopped on exit.
Only 127.0.0.1 is ever contacted. Every load run is bounded in time (wrk -d).
"""
import argparse
import resource
import shutil
import statistics
import sys
import tempfile
import time

from benchlib import System, fmt, free_port, hold_idle, nginx_config, wrk

CONNECTIONS = [16, 64, 256]


EMPTY = "keel (empty pipeline)"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keel", required=True, help="keel binary (Beast front door)")
    parser.add_argument("--plugins", required=True, help="its plugin directory")
    parser.add_argument("--poco-keel", help="keel binary of the Poco front door (optional)")
    parser.add_argument("--poco-plugins", help="its plugin directory")
    parser.add_argument("--poco-config", help="its own etc/keel.ini (default: --config); the current file may "
                                              "hold settings that version rejects")
    parser.add_argument("--bare-poco", required=True, help="bench/baseline/bare_poco_server binary")
    parser.add_argument("--config", required=True, help="etc/keel.ini")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--idle", type=int, default=5000, help="idle connections for the memory and p99 test")
    parser.add_argument("--data", help="write throughput/p99 per connection count here (for the chart)")
    args = parser.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    work = tempfile.mkdtemp(prefix="keel-bench-")
    systems = []

    def keel_system(name, binary, plugins, extra=(), config=None):
        port, admin = free_port(), free_port()
        defines = [f"server.port={port}", f"admin.port={admin}", "server.host=127.0.0.1", f"plugins.dir={plugins}",
                   f"database.url=sqlite:{work}/{name.replace(' ', '_').replace('(', '').replace(')', '')}.db",
                   "server.max_keep_alive_requests=0", *extra]
        return System(name, [binary, "--config", config or args.config] + [a for d in defines for a in ("--define", d)], port)

    # The default middleware stack, with the rate limiter switched on far above the offered load
    # so that its cost is counted too.
    systems.append(keel_system("keel (Beast)", args.keel, args.plugins,
                               ["resilience.rate_limit.rps=1000000000"]))
    # The same listener and binary with the emptiest pipeline a configuration allows: hello alone
    # (no metrics, rate limiter or health plugin), no access log (log.level=warn), no tracing.
    # The host's request id and recovery middleware remain.
    systems.append(keel_system(EMPTY, args.keel, args.plugins,
                               ["plugins.list=hello", "plugins.required=", "log.level=warn", "tracing.sample_rate=0"]))
    if args.poco_keel:
        systems.append(keel_system("keel (Poco)", args.poco_keel, args.poco_plugins, config=args.poco_config))
    poco_port = free_port()
    systems.append(System("bare Poco", [args.bare_poco, str(poco_port), "256"], poco_port))
    nginx_port = free_port()
    nginx_conf = nginx_config(work, nginx_port, """default_type application/json; return 200 '{"message":"Hello, Ada!"}';""")
    systems.append(System("nginx", ["nginx", "-c", nginx_conf, "-p", work], nginx_port))

    results = {(s.name, c): [] for s in systems for c in CONNECTIONS}
    try:
        for round_number in range(args.rounds):
            order = systems if round_number % 2 == 0 else list(reversed(systems))
            for system in order:
                system.start()
                wrk(system.port, system.path, 16, 2)  # warm-up
                for connections in CONNECTIONS:
                    # The server's own CPU per answered request: on a machine it shares with wrk,
                    # throughput also depends on how the kernel splits the cores between them (a
                    # server with more threads gets a larger share), CPU per request does not.
                    cpu_before = system.cpu_seconds()
                    rps, p99, failed, p50 = wrk(system.port, system.path, connections, args.seconds)
                    cpu_us = 1e6 * (system.cpu_seconds() - cpu_before) / max(1.0, rps * args.seconds)
                    results[(system.name, connections)].append((rps, p99, failed, p50, cpu_us))
                system.stop()
                print(f"round {round_number + 1}: {system.name} done", file=sys.stderr)

        print("\n### Throughput: GET /hello/{name}, keep-alive (medians of %d rounds of %d s)\n" % (args.rounds, args.seconds))
        print("| System | Connections | Requests/s (median) | Spread (min-max) | p99 ms (median) "
              "| Server CPU µs per request (median) | Failed |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        med = {}
        for system in systems:
            for connections in CONNECTIONS:
                runs = results[(system.name, connections)]
                rps = statistics.median(r[0] for r in runs)
                cpu = statistics.median(r[4] for r in runs)
                med[(system.name, connections)] = (rps, statistics.median(r[1] for r in runs), cpu)
                print(f"| {system.name} | {connections} | {fmt(rps)} | {fmt(min(r[0] for r in runs))}-{fmt(max(r[0] for r in runs))} "
                      f"| {statistics.median(r[1] for r in runs):.2f} | {cpu:.1f} | {sum(r[2] for r in runs)} |")
        if args.data:
            with open(args.data, "w") as data:
                for (name, connections), (rps, p99, _) in med.items():
                    data.write(f'"{name}" {connections} {rps:.0f} {p99:.3f}\n')
        print("\n### Ratios (medians, same run)\n")
        print("| Connections | Keel (Beast) / bare Poco | Keel (Beast) / nginx | Keel (Beast) / Keel (Poco) "
              "| p99 Keel (Beast) / bare Poco | Middleware cost (1 - Keel / empty pipeline) "
              "| CPU per request: Keel / bare Poco | Keel / nginx | middleware share of Keel's |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for connections in CONNECTIONS:
            keel = med[("keel (Beast)", connections)]
            poco = med[("bare Poco", connections)]
            nginx = med[("nginx", connections)]
            empty = med[(EMPTY, connections)]
            old = med.get(("keel (Poco)", connections))
            print(f"| {connections} | {keel[0] / poco[0]:.2f} | {keel[0] / nginx[0]:.2f} | "
                  f"{f'{keel[0] / old[0]:.2f}' if old else '-'} | {keel[1] / poco[1]:.2f} "
                  f"| {100 * (1 - keel[0] / empty[0]):.0f}% | {keel[2] / poco[2]:.2f} | {keel[2] / nginx[2]:.2f} "
                  f"| {100 * (1 - empty[2] / keel[2]):.0f}% |")

        print(f"\n### Idle keep-alive connections ({args.idle} held, each after one answered request)\n")
        print("| System | RSS before (MiB) | RSS with idle (MiB) | KiB per idle connection | Threads before -> with idle | Unanswered | /health p99 ms with idle open | Failed |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for system in systems:
            if system.name in ("bare Poco", EMPTY):
                continue  # it has no /health; its per-connection cost is the Poco front door's
            system.start()
            health = "/health" if system.name.startswith("keel") else "/"
            wrk(system.port, health, 16, 2)
            before, threads_before = system.rss_kib_and_threads()
            sockets, unanswered = hold_idle(system.port, args.idle)
            time.sleep(1)
            after, threads_after = system.rss_kib_and_threads()
            _, p99, failed, _ = wrk(system.port, health, 16, 5)
            for s in sockets:
                s.close()
            system.stop()
            print(f"| {system.name} | {before / 1024:.1f} | {after / 1024:.1f} | {(after - before) / args.idle:.1f} | "
                  f"{threads_before} -> {threads_after} | {unanswered} | {p99:.2f} | {failed} |")
    finally:
        for system in systems:
            system.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
