#!/usr/bin/python3
"""The admin console in a real browser (Debian's chromium, chromedriver and python3-selenium).

Starts the real keel with an admin token, a throwaway SQLite database and a fake inventory service
that always fails; signs in on /admin/ with the token; sees the five shipped plugins; reloads hello
while a client keeps getting 200s from /hello/x; unloads and loads it back; opens the inventory
breaker with failing orders and sees it shown open; takes screenshots at 1280x800 and 390x844;
and checks from the browser's performance log that the page asked nothing of any other origin.

Usage: admin_console_test.py KEEL_BINARY PLUGINS_DIR CONFIG_FILE OUTPUT_DIR
Exits 77 (a skip, for ctest) only when KEELTEST_NO_BROWSER=1 (scripts/test --no-browser).
"""
import http.server
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

if os.environ.get("KEELTEST_NO_BROWSER") == "1":
    print("SKIPPED: the admin console browser test was not run (scripts/test --no-browser)")
    sys.exit(77)

from selenium import webdriver  # noqa: E402  (imported only when the test runs)
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

WAIT_SECONDS = 20
SHIPPED = {"health", "metrics", "resilience", "orders", "hello"}


_next_port = os.getpid() * 7919


def free_port():
    """A port free a moment ago, below the kernel's range for outgoing source ports (a port from
    port 0 comes from that range, and the connections of tests running beside this one could take
    it before Keel binds it)."""
    global _next_port
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as ports:
            highest = int(ports.read().split()[0]) - 1
    except (OSError, ValueError, IndexError):
        highest = 32767
    if highest - 10000 >= 1000:
        for _ in range(200):
            port = 10000 + _next_port % (highest - 10000 + 1)
            _next_port += 1
            with socket.socket() as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    probe.bind(("127.0.0.1", port))
                    return port
                except OSError:
                    continue
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class FailingInventory(http.server.BaseHTTPRequestHandler):
    """A downstream that is down: every reservation answers 500."""

    def do_POST(self):  # noqa: N802 (http.server's naming)
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = b'{"error":"inventory is down"}'
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class BackgroundClient(threading.Thread):
    """GET /hello/x in a loop; keeps every status it got."""

    def __init__(self, url):
        super().__init__(daemon=True)
        self.url, self.statuses, self.stopping = url, [], threading.Event()

    def run(self):
        while not self.stopping.is_set() and len(self.statuses) < 20000:
            try:
                with urllib.request.urlopen(self.url, timeout=5) as answer:
                    self.statuses.append(answer.status)
            except urllib.error.HTTPError as error:
                self.statuses.append(error.code)
            except OSError as error:
                self.statuses.append(str(error))
            time.sleep(0.01)

    def stop(self):
        self.stopping.set()
        self.join(timeout=10)


def text_of(driver, selector):
    """The text of the first element matching `selector`, read in one step (the page redraws its
    tables every few seconds, so an element found first and read later may be gone)."""
    return driver.execute_script(
        "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;", selector)


def click(driver, selector):
    """Clicks like a user, again if the page redrew the element between finding and clicking it."""
    for _ in range(5):
        try:
            driver.find_element(By.CSS_SELECTOR, selector).click()
            return
        except StaleElementReferenceException:
            time.sleep(0.1)
    raise AssertionError(f"{selector} kept being redrawn")


def wait_until(condition, what, seconds=WAIT_SECONDS):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {seconds}s waiting for {what}")


def http_get(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, dict(answer.headers), answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()
    except OSError as error:  # not listening yet, reset, timed out
        return 0, {}, str(error)


def main(keel, plugins_dir, config, output):
    os.makedirs(output, exist_ok=True)
    work = tempfile.mkdtemp(prefix="keel-console-")
    token = "console-test-token-" + os.urandom(8).hex()
    token_file = os.path.join(work, "admin.token")
    with open(token_file, "w") as file:
        file.write(token + "\n")
    os.chmod(token_file, 0o600)

    inventory = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FailingInventory)
    threading.Thread(target=inventory.serve_forever, daemon=True).start()
    public, admin = free_port(), free_port()
    defines = {
        "server.host": "127.0.0.1", "server.port": public, "admin.host": "127.0.0.1", "admin.port": admin,
        "admin.token_file": token_file, "plugins.dir": plugins_dir, "database.url": f"sqlite:{work}/keel.db",
        "orders.inventory.url": f"http://127.0.0.1:{inventory.server_address[1]}",
        # A breaker that opens after a few failed reservations and stays open for the rest of the test.
        "resilience.policy.inventory.max_attempts": 1, "resilience.policy.inventory.minimum_calls": 3,
        "resilience.policy.inventory.failure_rate_threshold": 50,
        "resilience.policy.inventory.open_duration": "5m",
    }
    command = [keel, "--config", config]
    for key, value in defines.items():
        command += ["--define", f"{key}={value}"]
    log = open(os.path.join(output, "keel.log"), "w")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=work)
    driver = None
    client = None
    try:
        wait_until(lambda: http_get(f"http://127.0.0.1:{public}/ready")[0] == 200, "keel to be ready")
        admin_url = f"http://127.0.0.1:{admin}"

        # The page itself: its own files only, a strict CSP, no inline script, no token needed to fetch it.
        status, headers, html = http_get(admin_url + "/admin/")
        assert status == 200, status
        csp = headers.get("Content-Security-Policy", "")
        assert "script-src 'self'" in csp and "default-src 'none'" in csp and "unsafe-inline" not in csp, csp
        assert "<script>" not in html and "style=" not in html, "inline script or style in the page"
        assert http_get(admin_url + "/admin/plugins")[0] == 401, "the API must still need the token"

        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,800",
                         "--disable-background-networking", "--disable-component-update", "--no-first-run"):
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        driver.set_page_load_timeout(WAIT_SECONDS)
        wait = WebDriverWait(driver, WAIT_SECONDS)

        driver.get(admin_url + "/admin/")
        wait.until(lambda d: d.find_element(By.ID, "login").is_displayed())
        field = driver.find_element(By.ID, "token")
        field.send_keys(token)
        field.submit()

        def plugin_names():
            return set(driver.execute_script(
                "return [...document.querySelectorAll('#plugins tbody tr')].map(r => r.dataset.plugin);"))

        wait.until(lambda d: plugin_names() == SHIPPED)
        assert driver.execute_script("return sessionStorage.getItem('keel-admin-token')") == token
        assert token not in driver.current_url

        def loaded_at(name):
            return text_of(driver, f"#plugins tr[data-plugin='{name}'] td.loaded-at")

        # Reload hello under load: its loaded-at time changes, the client never sees anything but 200.
        client = BackgroundClient(f"http://127.0.0.1:{public}/hello/x")
        client.start()
        wait_until(lambda: len(client.statuses) >= 20, "the background client's first answers")
        before = loaded_at("hello")
        click(driver, "#plugins tr[data-plugin='hello'] button.reload")
        wait.until(lambda d: loaded_at("hello") not in (None, before))
        wait.until(lambda d: "Reload hello: done." in (text_of(d, "#action-result") or ""))
        answered = len(client.statuses)
        wait_until(lambda: len(client.statuses) >= answered + 20, "requests answered by the new version")
        client.stop()
        bad = [s for s in client.statuses if s != 200]
        assert not bad and len(client.statuses) > 20, f"{len(client.statuses)} requests, not 200: {bad[:5]}"

        # Unload asks first, then hello is gone; loaded back from the plugins directory.
        click(driver, "#plugins tr[data-plugin='hello'] button.unload")
        alert = wait.until(lambda d: d.switch_to.alert)
        assert "Unload hello?" in alert.text, alert.text
        alert.accept()
        wait.until(lambda d: "hello" not in plugin_names())
        assert http_get(f"http://127.0.0.1:{public}/hello/x")[0] == 404
        wait.until(lambda d: "hello" in d.execute_script(
            "return [...document.querySelectorAll('#load-name option')].map(o => o.value);"))
        for _ in range(5):
            try:
                Select(driver.find_element(By.ID, "load-name")).select_by_value("hello")
                break
            except StaleElementReferenceException:
                time.sleep(0.1)
        click(driver, "#load-button")
        wait.until(lambda d: plugin_names() == SHIPPED)
        wait_until(lambda: http_get(f"http://127.0.0.1:{public}/hello/x")[0] == 200, "hello answering again")

        # Failing reservations open the inventory breaker; the page shows it open.
        order = json.dumps({"user_id": "u1", "items": [{"product_id": "p1", "quantity": 1, "price": "1.00"}]})
        for _ in range(6):
            request = urllib.request.Request(f"http://127.0.0.1:{public}/api/v1/orders", data=order.encode(),
                                             headers={"Content-Type": "application/json"}, method="POST")
            try:
                urllib.request.urlopen(request, timeout=10).close()
            except urllib.error.HTTPError:
                pass  # expected: the inventory is down
        breaker = "#resilience tr[data-pipeline='inventory'] td.breaker"
        wait.until(lambda d: (text_of(d, breaker) or "").startswith("open"))
        assert "next trial in" in text_of(driver, breaker), text_of(driver, breaker)

        # The host stays ready through all of it (the page asks /health and /ready at once).
        ready = driver.execute_script(
            "const t = [...document.querySelectorAll('#host dt')].find(e => e.textContent === 'Ready');"
            "return t ? t.nextElementSibling.textContent : null;")
        assert ready == "yes", f"Ready: {ready}"

        # Charts drawn from at least two intervals of /metrics samples; screenshots at both widths.
        wait.until(lambda d: d.execute_script("return state.samples.length") >= 3)

        def painted():
            # Two animation frames: whatever was changed before has been laid out and painted.
            driver.execute_async_script("requestAnimationFrame(() => requestAnimationFrame(arguments[0]))")

        def screenshots(size):
            # The top (host and plugins) and the end (resilience, flags, charts) of the page.
            driver.execute_script("window.scrollTo(0, 0)")
            painted()
            driver.save_screenshot(os.path.join(output, f"admin-console-{size}-top.png"))
            driver.execute_script("document.getElementById('resilience-title').scrollIntoView()")
            painted()
            driver.save_screenshot(os.path.join(output, f"admin-console-{size}-resilience.png"))

        screenshots("1280x800")
        driver.set_window_size(390, 844)
        painted()
        width = driver.execute_script("return document.documentElement.scrollWidth")
        assert width <= 400, f"the page is {width}px wide at a 390px window"
        screenshots("390x844")

        # Everything the page asked for went to the admin listener.
        origins = set()
        for entry in driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") == "Network.requestWillBeSent":
                url = message["params"]["request"]["url"]
                origins.add(url.split("/")[2] if "://" in url else url)
        assert origins == {f"127.0.0.1:{admin}"}, f"the page reached other origins: {origins}"
        # Answers such as the 401 before signing in are logged as failed loads; anything else
        # (a Content-Security-Policy refusal, a script error) is a fault of the page.
        errors = [e for e in driver.get_log("browser")
                  if e["level"] == "SEVERE" and "Failed to load resource" not in e["message"]]
        assert not errors, f"browser console errors: {errors}"
        print(f"admin console: sign-in, reload under load ({len(client.statuses)} x 200), unload, load, "
              f"breaker shown open, screenshots in {output}")
        return 0
    finally:
        if client is not None:
            client.stop()
        if driver is not None:
            driver.quit()
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        inventory.shutdown()
        log.close()


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
