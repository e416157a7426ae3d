"""What every Keel benchmark shares: free ports, servers started and stopped as process groups,
bounded wrk runs parsed into (requests/s, p99 ms, failed), medians. Only 127.0.0.1 is contacted."""
import os
import resource
import re
import signal
import socket
import statistics
import subprocess
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port, path, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


class System:
    """A server under test: started, measured, stopped."""

    def __init__(self, name, argv, port, env=None, path="/hello/Ada"):
        self.name, self.argv, self.port, self.env, self.path = name, argv, port, env, path
        self.process = None
        self.log = tempfile.TemporaryFile()

    def start(self):
        environment = dict(os.environ)
        environment.update(self.env or {})
        self.process = subprocess.Popen(self.argv, stdout=self.log, stderr=self.log, env=environment,
                                        start_new_session=True)
        if not wait_for(self.port, self.path):
            self.stop()
            self.log.seek(0)
            raise RuntimeError(f"{self.name} did not start: {self.log.read()[-2000:].decode(errors='replace')}")

    def pids(self):
        # nginx answers from a worker process: measure the whole process group.
        out = subprocess.run(["pgrep", "-g", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()] or [self.process.pid]

    def cpu_seconds(self):
        """User and system CPU time of every process of the system so far (all threads)."""
        return sum(proc_cpu_seconds(pid) for pid in self.pids())

    def rss_kib_and_threads(self):
        rss = threads = 0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/status") as status:
                    for line in status:
                        if line.startswith("VmRSS:"):
                            rss += int(line.split()[1])
                        elif line.startswith("Threads:"):
                            threads += int(line.split()[1])
            except FileNotFoundError:
                pass
        return rss, threads

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None


def proc_cpu_seconds(pid, children=False):
    """User and system CPU of process `pid` (all its threads); with `children`, also that of its
    children it has reaped (a server process that has exited)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, IndexError):
        return 0.0
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    if children:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds(data_dir):
    """CPU used so far by a PostgreSQL cluster: the postmaster, its live server processes, and
    those that have exited (reaped by the postmaster, so counted in its children's times)."""
    with open(os.path.join(data_dir, "postmaster.pid")) as pid_file:
        postmaster = int(pid_file.readline())
    out = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True, text=True).stdout
    return proc_cpu_seconds(postmaster, children=True) + sum(proc_cpu_seconds(int(p)) for p in out.split())


def children_cpu_seconds():
    """CPU of this script's finished child processes so far (wrk, pgbench)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wrk(port, path, connections, seconds, script=None, script_args=()):
    """One bounded load run: (requests/s, p99 ms, failed requests, p50 ms). `script` is a wrk Lua
    file (bench/wrk/*.lua) given `script_args`."""
    threads = min(2, connections)
    argv = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "2s", "--latency"]
    if script:
        argv += ["-s", script]
    argv.append(f"http://127.0.0.1:{port}{path}")
    if script_args:
        argv += ["--", *script_args]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = parse_latency(re.search(r"99%\s+([\d.]+\w+)", out).group(1))
    p50 = parse_latency(re.search(r"50%\s+([\d.]+\w+)", out).group(1))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    failed = (sum(int(x) for x in errors.groups()) if errors else 0) + (int(non2xx.group(1)) if non2xx else 0)
    return rps, p99, failed, p50


def parse_latency(text):
    value = float(re.match(r"[\d.]+", text).group(0))
    unit = text[len(re.match(r"[\d.]+", text).group(0)):]
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def hold_idle(port, count, seconds=10.0):
    """Opens `count` keep-alive connections, each after one request; returns them and how many got
    no answer within `seconds` altogether (a thread-per-connection server leaves most unanswered)."""
    sockets, unanswered = [], 0
    for _ in range(count):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=2)
            s.sendall(b"GET /hello/idle HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            sockets.append(s)
        except OSError:
            unanswered += 1
    deadline = time.time() + seconds
    for s in sockets:
        try:
            s.settimeout(max(0.001, deadline - time.time()))
            if not s.recv(4096):
                unanswered += 1
        except OSError:
            unanswered += 1
    return sockets, unanswered


def fmt(value, digits=0):
    return f"{value:,.{digits}f}"




def median_of(runs, index):
    return statistics.median(r[index] for r in runs)


def spread(runs, index=0):
    return f"{fmt(min(r[index] for r in runs))}-{fmt(max(r[index] for r in runs))}"


def nginx_config(work, port, location, worker_connections=20000):
    """An nginx.conf in `work` serving `location` (the body of `location / { ... }`) on
    127.0.0.1:`port` with one worker and no access log; returns its path."""
    path = os.path.join(work, f"nginx-{port}.conf")
    with open(path, "w") as conf:
        conf.write(f"""worker_processes 1;
daemon off;
pid {work}/nginx-{port}.pid;
error_log stderr error;
events {{ worker_connections {worker_connections}; }}
http {{
  access_log off;
  client_body_temp_path {work}; proxy_temp_path {work}; fastcgi_temp_path {work};
  uwsgi_temp_path {work}; scgi_temp_path {work};
  keepalive_requests 1000000;
  server {{
    listen 127.0.0.1:{port};
    location / {{ {location} }}
  }}
}}
""")
    return path

