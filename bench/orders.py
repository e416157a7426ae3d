#!/usr/bin/env python3
"""Orders on PostgreSQL: Keel's POST /api/v1/orders, GET /api/v1/orders/{id} and the list of 20
next to pgbench -M prepared running the SQL Keel sends for the same request, on the same tables,
with the same connection count and commit settings, alternating, several rounds, medians and
ratios. Keel runs without an inventory service (pgbench has none either).

Run by scripts/bench, which starts a throwaway PostgreSQL with durable settings and passes its URL.
Every process started here is stopped on exit; only 127.0.0.1 is contacted; every run is bounded.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request

from benchlib import (System, children_cpu_seconds, fmt, free_port, median_of, nginx_config, postgres_cpu_seconds,
                      spread, wrk)

HERE = os.path.dirname(os.path.abspath(__file__))
CONNECTIONS = [8, 32]
READER = "bench-reader"
READER_ORDERS = 50
# Keel / pgbench that the performance issue asks for, per scenario.
TARGETS = {"write": 0.75, "write+idempotency": 0.75, "write+outbox": 0.75, "get": 0.75, "list 20": 0.5}

# The three lines of bench/wrk/post_order.lua, as Keel stores them.
ITEMS_JSON = ('[{"line":1,"product_id":"p-1","quantity":2,"unit_price_cents":1999},'
              '{"line":2,"product_id":"p-2","quantity":1,"unit_price_cents":500},'
              '{"line":3,"product_id":"p-3","quantity":3,"unit_price_cents":25}]')

# What plugins/orders/order_store.cpp sends, with pgbench variables in place of its parameters
# (keep in step with OrderStore::createStatement, find and list).
ORDER_INSERT = (
    "WITH new_order AS (INSERT INTO orders (id, user_id, status, total_cents, created_at_us) "
    "VALUES (:n, 'bench-writer', 'confirmed', 4573, :t)), "
    "new_items AS (INSERT INTO order_items (order_id, line, product_id, quantity, unit_price_cents) "
    "SELECT :n, item.line, item.product_id, item.quantity, item.unit_price_cents FROM json_to_recordset('"
    + ITEMS_JSON + "'::json) AS item(line integer, product_id text, quantity integer, unit_price_cents bigint))")
NEW_MESSAGE = (", new_message AS (INSERT INTO order_outbox (id, topic, payload, created_at_us, next_attempt_at_us, "
               "attempts) VALUES ('m' || :n, 'order.created', '{\"event\":\"order.created\",\"order\":{}}', :t, :t, 0))")
NEW_KEY = (", new_key AS (INSERT INTO order_idempotency_keys (idempotency_key, request_hash, order_id, "
           "response_status, response_body, expires_at_us) VALUES ('k' || :n, "
           "'0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', :n, 201, '{\"id\":\"x\"}', :t))")
KEY_LOOKUP = ("SELECT request_hash, order_id, response_status, response_body, expires_at_us FROM "
              "order_idempotency_keys WHERE idempotency_key = 'k' || :n AND expires_at_us > :t;\n")
VARIABLES = "\\set n random(1, 9000000000000000000)\n\\set t random(1700000000000000, 1800000000000000)\n"


def find_sql(order_id):
    return ("SELECT o.id, o.user_id, o.status, o.total_cents, o.created_at_us, i.product_id, i.quantity, "
            "i.unit_price_cents FROM orders o LEFT JOIN order_items i ON i.order_id = o.id "
            f"WHERE o.id = '{order_id}' ORDER BY i.line;\n")


def list_sql(user, limit=20):
    return ("WITH page AS (SELECT id, user_id, status, total_cents, created_at_us FROM orders "
            f"WHERE user_id >= '{user}' AND user_id <= '{user}' ORDER BY user_id DESC, created_at_us DESC, id DESC "
            f"LIMIT {limit + 1}) "
            "SELECT page.id, page.user_id, page.status, page.total_cents, page.created_at_us, i.product_id, "
            "i.quantity, i.unit_price_cents FROM page LEFT JOIN order_items i ON i.order_id = page.id "
            "ORDER BY page.created_at_us DESC, page.id DESC, i.line;\n")


def pgbench(url, script, connections, seconds):
    out = subprocess.run([PGBENCH, "-n", "-M", "prepared", "-c", str(connections), "-j", "2", "-T", str(seconds),
                          "-f", script, "-r", url], capture_output=True, text=True, timeout=seconds + 60)
    if out.returncode != 0:
        raise RuntimeError(f"pgbench failed: {out.stderr[-2000:]}")
    tps = float(re.search(r"tps = ([\d.]+)", out.stdout).group(1))
    latency = float(re.search(r"latency average = ([\d.]+) ms", out.stdout).group(1))
    failed = re.search(r"number of failed transactions: (\d+)", out.stdout)
    return tps, latency, int(failed.group(1)) if failed else 0


def post(port, path, body):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def psql(url, sql):
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql], check=True,
                   capture_output=True, timeout=60)


def main():
    global PGBENCH
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keel", required=True)
    parser.add_argument("--plugins", required=True)
    parser.add_argument("--config", required=True, help="etc/keel.ini")
    parser.add_argument("--database-url", required=True, help="postgresql://... of an empty cluster's database")
    parser.add_argument("--pgbench", default="pgbench")
    parser.add_argument("--pg-data", help="the cluster's data directory: PostgreSQL's CPU per request is reported")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--data", help="write throughput/p99 per connection count here (for the chart)")
    args = parser.parse_args()
    PGBENCH = args.pgbench

    work = tempfile.mkdtemp(prefix="keel-bench-orders-")
    sink_port = free_port()
    nginx_conf = nginx_config(work, sink_port, "return 200;", worker_connections=1024)

    def keel(name, extra):
        port, admin = free_port(), free_port()
        argv = [args.keel, "--config", args.config, "--define", f"server.port={port}", "--define",
                f"admin.port={admin}", "--define", "server.host=127.0.0.1", "--define", f"plugins.dir={args.plugins}",
                "--define", f"database.url={args.database_url}", "--define", "database.max_conns=32",
                # As many kept idle as may be open: fewer would close and reopen connections
                # (a SCRAM handshake and a new server process each) under this load.
                "--define", "database.max_idle=32",
                "--define", "server.max_keep_alive_requests=0"]
        for define in extra:
            argv += ["--define", define]
        return System(name, argv, port, path="/health")

    plain = keel("keel", [])
    notifying = keel("keel (notify)", [f"orders.notify.url=http://127.0.0.1:{sink_port}/events"])
    sink = System("notification sink", ["nginx", "-c", nginx_conf, "-p", work], sink_port, path="/")

    scripts = {}

    def script(name, text):
        path = os.path.join(work, name + ".sql")
        with open(path, "w") as f:
            f.write(text)
        scripts[name] = path

    script("write", VARIABLES + ORDER_INSERT + " SELECT 1;\n")
    script("write+idempotency", VARIABLES + KEY_LOOKUP + ORDER_INSERT + NEW_KEY + " SELECT 1;\n")
    script("write+outbox", VARIABLES + ORDER_INSERT + NEW_MESSAGE + " SELECT 1;\n")

    post_script = os.path.join(HERE, "wrk", "post_order.lua")
    keyed_post_script = os.path.join(HERE, "wrk", "post_order_idempotent.lua")
    # (scenario, system, path, wrk script, script args)
    scenarios = [
        ("write", plain, "/api/v1/orders", post_script, ()),
        ("write+idempotency", plain, "/api/v1/orders", keyed_post_script, ()),
        ("write+outbox", notifying, "/api/v1/orders", post_script, ()),
        ("get", plain, None, None, ()),
        ("list 20", plain, f"/api/v1/orders?user_id={READER}&limit=20", None, ()),
    ]
    results = {}
    try:
        sink.start()
        plain.start()
        # Readers' data, written once through Keel: 50 orders of three lines for one user.
        body = json.dumps({"user_id": READER, "items": [
            {"product_id": f"p-{i}", "quantity": i, "price": "1.50"} for i in range(1, 4)]})
        order_id = None
        for _ in range(READER_ORDERS):
            order_id = post(plain.port, "/api/v1/orders", body)["id"]
        scenarios[3] = ("get", plain, f"/api/v1/orders/{order_id}", None, ())
        script("get", find_sql(order_id))
        script("list 20", list_sql(READER))
        plain.stop()

        for round_number in range(args.rounds):
            for name, system, path, lua, lua_args in scenarios:
                if name == "get":
                    # The writes just grew the tables: plan the reads on fresh statistics, as
                    # autovacuum would in a while.
                    psql(args.database_url, "VACUUM ANALYZE")
                for connections in CONNECTIONS:
                    runs = [("keel", lambda: run_keel(system, path, lua, lua_args, connections, args.seconds)),
                            ("pgbench", lambda: pgbench(args.database_url, scripts[name], connections, args.seconds))]
                    if round_number % 2:
                        runs.reverse()
                    ensure_started(system)
                    for who, run in runs:
                        results.setdefault((name, connections, who), []).append(
                            with_cpu(run, system if who == "keel" else None, args.pg_data, args.seconds))
                print(f"round {round_number + 1}: {name} done", file=sys.stderr)
            plain.stop()
            notifying.stop()
    finally:
        for system in (plain, notifying, sink):
            system.stop()
        shutil.rmtree(work, ignore_errors=True)

    print(f"\n### Orders on PostgreSQL (fsync on): Keel vs pgbench -M prepared, same SQL "
          f"(medians of {args.rounds} rounds of {args.seconds} s)\n")
    print("| Scenario | Connections | Keel req/s | spread | Keel p99 ms | pgbench tps | spread | Keel / pgbench | Failed |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    rows = []
    for name, *_ in scenarios:
        for connections in CONNECTIONS:
            keel_runs = results[(name, connections, "keel")]
            pg_runs = results[(name, connections, "pgbench")]
            keel_rps, pg_tps = median_of(keel_runs, 0), median_of(pg_runs, 0)
            failed = sum(r[2] for r in keel_runs) + sum(r[2] for r in pg_runs)
            print(f"| {name} | {connections} | {fmt(keel_rps)} | {spread(keel_runs)} | {median_of(keel_runs, 1):.2f} | "
                  f"{fmt(pg_tps)} | {spread(pg_runs)} | {keel_rps / pg_tps:.2f} | {failed} |")
            rows.append((name, connections, keel_rps, median_of(keel_runs, 1), pg_tps))
    if args.pg_data:
        print(f"\n### CPU per request on the orders scenarios (µs, medians of {args.rounds} rounds)\n")
        print("Every process's user and system time over each run, divided by the requests (or "
              "transactions) it answered. Keel's includes its outbox dispatcher; PostgreSQL's every server "
              "process of the cluster.\n")
        print("The last column is what Keel could spend per request and still reach its target ratio "
              "(0.75 of pgbench for writes and gets, 0.5 for the list) if PostgreSQL served it as cheaply as it "
              "serves pgbench: two shared cores divided by the sum of everyone's CPU per request is the "
              "throughput, so `(PostgreSQL + pgbench) / target - PostgreSQL serving pgbench - wrk`. Below "
              "Keel's own figure, the target needs Keel cheaper than it is; near or below zero, it cannot be "
              "reached on this machine with the load generator on the same cores.\n")
        print("| Scenario | Connections | Keel | PostgreSQL serving Keel | wrk | Keel + PostgreSQL + wrk "
              "| PostgreSQL serving pgbench | pgbench | PostgreSQL + pgbench | Keel's budget at the target |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for name, *_ in scenarios:
            for connections in CONNECTIONS:
                keel_runs = results[(name, connections, "keel")]
                pg_runs = results[(name, connections, "pgbench")]
                server, database, client = (median_of(keel_runs, i) for i in (-3, -2, -1))
                pg_database, pg_client = median_of(pg_runs, -2), median_of(pg_runs, -1)
                budget = (pg_database + pg_client) / TARGETS[name] - pg_database - client
                print(f"| {name} | {connections} | {server:.0f} | {database:.0f} | {client:.0f} "
                      f"| {server + database + client:.0f} | {pg_database:.0f} | {pg_client:.0f} "
                      f"| {pg_database + pg_client:.0f} | {budget:.0f} |")
    if args.data:
        with open(args.data, "w") as data:
            for name, connections, rps, p99, tps in rows:
                data.write(f'"{name}" {connections} {rps:.0f} {p99:.3f} {tps:.0f}\n')


def with_cpu(run, system, pg_data, seconds):
    """run()'s result followed by the CPU µs per request of the server (`system`, None for
    pgbench), of PostgreSQL (when `pg_data` is known) and of the client (wrk or pgbench)."""
    server_before = system.cpu_seconds() if system else None
    database_before = postgres_cpu_seconds(pg_data) if pg_data else 0.0
    client_before = children_cpu_seconds()
    result = run()
    requests = max(1.0, result[0] * seconds)
    per_request = lambda used: 1e6 * used / requests  # noqa: E731
    server = per_request(system.cpu_seconds() - server_before) if server_before is not None else 0.0
    database = per_request(postgres_cpu_seconds(pg_data) - database_before) if pg_data else 0.0
    client = per_request(children_cpu_seconds() - client_before)
    return (*result, server, database, client)


def ensure_started(system):
    if system.process is None:
        system.start()
        wrk(system.port, "/health", 4, 1)


def run_keel(system, path, lua, lua_args, connections, seconds):
    return wrk(system.port, path, connections, seconds, script=lua, script_args=lua_args)


if __name__ == "__main__":
    main()
