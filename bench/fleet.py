#!/usr/bin/env python3
"""The fleet: POST /api/v1/orders through nginx (etc/fleet/nginx.conf) in front of one, two and
three Keel instances on the same PostgreSQL, next to pgbench -M prepared running the SQL of one
order on the same database (the database's ceiling for this write), alternating, several rounds,
medians and ratios.

On a machine with few cores the instances, nginx, wrk and PostgreSQL share the same CPUs: more
instances then show what coordination costs, not more throughput. Run it where the database has
its own machine to see scale-out.

Run by scripts/bench (--only fleet), which starts a throwaway PostgreSQL with durable settings.
Every process started here is stopped on exit; only 127.0.0.1 is contacted; every run is bounded.
"""
import argparse
import os
import shutil
import sys
import tempfile

import orders
from benchlib import System, fmt, free_port, median_of, spread, wrk

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
INSTANCES = [1, 2, 3]
CONNECTIONS = 32


def render_nginx(work, port, instance_ports):
    """etc/fleet/nginx.conf with its placeholders filled, as scripts/fleet does."""
    with open(os.path.join(ROOT, "etc", "fleet", "nginx.conf")) as template:
        text = template.read()
    servers = "\n        ".join(f"server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in instance_ports)
    text = (text.replace("@PREFIX@", work).replace("@LISTEN@", f"127.0.0.1:{port}")
            .replace("@SERVERS@", servers).replace("worker_processes auto;", "worker_processes 1;"))
    path = os.path.join(work, "nginx.conf")
    with open(path, "w") as out:
        out.write(text)
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keel", required=True)
    parser.add_argument("--plugins", required=True)
    parser.add_argument("--config", required=True, help="etc/keel.ini")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--pgbench", default="pgbench")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8)
    args = parser.parse_args()
    orders.PGBENCH = args.pgbench

    work = tempfile.mkdtemp(prefix="keel-bench-fleet-")
    script = os.path.join(work, "write.sql")
    with open(script, "w") as f:
        f.write(orders.VARIABLES + orders.ORDER_INSERT + " SELECT 1;\n")
    post_script = os.path.join(HERE, "wrk", "post_order.lua")

    def instance(index, count):
        port, admin = free_port(), free_port()
        # The database's connections are shared by the fleet: each instance gets its part.
        conns = max(4, 32 // count)
        argv = [args.keel, "--config", args.config, "--define", f"server.port={port}", "--define",
                f"admin.port={admin}", "--define", "server.host=127.0.0.1", "--define", f"plugins.dir={args.plugins}",
                "--define", f"database.url={args.database_url}", "--define", f"database.max_conns={conns}",
                "--define", f"database.max_idle={conns}", "--define", f"server.instance_id=bench-{index}",
                "--define", "log.level=warn"]
        return System(f"keel-{index}", argv, port, path="/health")

    results = {}
    try:
        for round_number in range(args.rounds):
            runs = [(count, None) for count in INSTANCES] + [("pgbench", None)]
            if round_number % 2:
                runs.reverse()
            for who, _ in runs:
                if who == "pgbench":
                    results.setdefault("pgbench", []).append(
                        orders.pgbench(args.database_url, script, CONNECTIONS, args.seconds))
                    continue
                fleet = [instance(i, who) for i in range(who)]
                nginx_port = free_port()
                nginx_dir = os.path.join(work, f"nginx-{who}")
                os.makedirs(nginx_dir, exist_ok=True)
                balancer = System("nginx", ["nginx", "-p", nginx_dir, "-e", os.path.join(nginx_dir, "error.log"),
                                            "-c", render_nginx(nginx_dir, nginx_port, [s.port for s in fleet]),
                                            "-g", "daemon off;"], nginx_port, path="/nginx-health")
                try:
                    for system in fleet:
                        system.start()
                    balancer.start()
                    wrk(nginx_port, "/health", 4, 1)  # warm the upstream connections
                    results.setdefault(who, []).append(
                        wrk(nginx_port, "/api/v1/orders", CONNECTIONS, args.seconds, script=post_script))
                finally:
                    balancer.stop()
                    for system in fleet:
                        system.stop()
            print(f"round {round_number + 1} done", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    pg = results["pgbench"]
    pg_tps = median_of(pg, 0)
    print(f"\n### The fleet: orders written through nginx by 1, 2 and 3 instances on one PostgreSQL "
          f"(fsync on; {CONNECTIONS} client connections; medians of {args.rounds} rounds of {args.seconds} s)\n")
    print("| System | Orders/s | spread | p99 ms | Failed | / pgbench ceiling |")
    print("|---|---:|---:|---:|---:|---:|")
    for count in INSTANCES:
        runs = results[count]
        rps = median_of(runs, 0)
        print(f"| {count} instance{'s' if count > 1 else ''} behind nginx | {fmt(rps)} | {spread(runs)} | "
              f"{median_of(runs, 1):.2f} | {sum(r[2] for r in runs)} | {rps / pg_tps:.2f} |")
    print(f"| pgbench -M prepared, same SQL, {CONNECTIONS} connections | {fmt(pg_tps)} | {spread(pg)} | "
          f"{median_of(pg, 1):.2f} (average) | {sum(r[2] for r in pg)} | 1.00 |")
    print(f"\nMachine: {os.cpu_count()} CPUs shared by the instances, nginx, wrk and PostgreSQL.")


if __name__ == "__main__":
    main()
