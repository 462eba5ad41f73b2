"""The dashboard in a real browser: Debian's headless Chromium, driven through Selenium
(chromedriver), against a real spated.

Proves: every page loads without a console error or a CSP violation and fits a 390-pixel
phone screen without sideways scrolling (screenshots of each page at 1280x800 and 390x844 are
saved under $SPATE_BUILD_DIR/test-artifacts/dashboard/, and the whole stream page as
stream-full.png, which docs/dashboard.png is a copy of); a stream created from the page
appears in the list; produced records move the graph's last point and the shard table; a split
made from the page changes the lineage picture; a refused action shows the server's error
next to its control; the record browser reads records (JSON shown pretty) and, with Live on,
shows new ones as they are produced; read-only mode has no actions on the page and the server
refuses them even when the page's own token is used; with --auth sigv4 the page asks for a key
pair, refuses a wrong one and keeps an HttpOnly, SameSite=Strict session cookie; a page from
another origin cannot subscribe over WebSocket; and the AWS SDK for JavaScript v3, bundled for the browser and run
in a page of another origin, can call the Kinesis API only when spated lists that origin with
--allow-origin (CORS, with x-amzn-RequestId readable).
"""

from __future__ import annotations

import base64
import functools
import http.server
import json
import os
import subprocess
import threading
from pathlib import Path

import pytest

from spate_harness import (REPO_ROOT, build_dir, free_port, wait_active, wait_until,
                           write_credentials)

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = build_dir() / "test-artifacts" / "dashboard"
JS_SDK = REPO_ROOT / ".cache" / "js-sdk" / "node_modules"
WAIT_S = 20


@pytest.fixture(scope="module")
def browser():
    for tool in (CHROMIUM, CHROMEDRIVER):
        assert Path(tool).exists(), f"{tool} is missing: scripts/install-deps.sh installs it"
    options = Options()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1280,800", "--disable-extensions", "--no-first-run"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_script_timeout(WAIT_S)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()


def console_errors(driver) -> list[str]:
    """Console errors since the last call, except the browser's own lines about HTTP error
    statuses (a refused action is a 4xx answer the page shows, not a page error)."""
    return [e["message"] for e in driver.get_log("browser")
            if e["level"] == "SEVERE" and e.get("source") != "network"]


def open_page(driver, server, fragment: str, ready_id: str):
    driver.get(f"{server.endpoint}/#{fragment}")
    wait_until(lambda: driver.find_elements(By.ID, ready_id), WAIT_S, f"#{ready_id} on {fragment}")


def element(driver, element_id):
    return wait_until(lambda: driver.find_elements(By.ID, element_id), WAIT_S,
                      f"element #{element_id}")[0]


def screenshots(driver, name: str):
    """Saves the page at desktop and phone size; at phone size nothing scrolls sideways."""
    driver.set_window_size(1280, 800)
    driver.save_screenshot(str(ARTIFACTS / f"{name}-1280x800.png"))
    driver.set_window_size(390, 844)
    wait_until(lambda: driver.execute_script("return window.innerWidth") <= 400, WAIT_S,
               "the phone-sized window")
    # Charts follow their box's size a frame or more after a resize, so the layout is given
    # time to settle; what stays wider than the screen is named.
    def overflow():
        return driver.execute_script(
            "return document.documentElement.scrollWidth - window.innerWidth")

    def too_wide():
        driver.save_screenshot(str(ARTIFACTS / f"{name}-390x844.png"))
        wide = driver.execute_script(
            "return [...document.querySelectorAll('body *')]"
            ".filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)"
            ".slice(0, 5).map(e => e.tagName + (e.id ? '#' + e.id : '') + ' '"
            " + Math.round(e.getBoundingClientRect().width) + 'px')")
        return f"{name}: the page to fit a 390 px screen; it is {overflow()} px wider: {wide}"

    wait_until(lambda: overflow() <= 0, WAIT_S, too_wide)
    driver.save_screenshot(str(ARTIFACTS / f"{name}-390x844.png"))
    driver.set_window_size(1280, 800)


def full_page(driver, name: str):
    """Saves the whole page at 1280 pixels wide, beyond the window (docs/dashboard.png is the
    stream page's)."""
    driver.execute_script("window.scrollTo(0, 0)")
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}})
    (ARTIFACTS / f"{name}-full.png").write_bytes(base64.b64decode(shot["data"]))


def last_point(driver, chart_id: str, dataset: int = 0):
    return driver.execute_script(
        "const c = window.spateDashboard && window.spateDashboard.charts[arguments[0]];"
        "if (!c || !c.data.datasets[arguments[1]]) return null;"
        "const d = c.data.datasets[arguments[1]].data; return d.length ? d[d.length - 1] : null;",
        chart_id, dataset)


class Producer:
    """Puts small JSON records into a stream from a thread until stopped."""

    def __init__(self, kinesis, stream: str):
        self.kinesis, self.stream = kinesis, stream
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        i = 0
        while not self.stop.is_set():
            self.kinesis.put_records(StreamName=self.stream, Records=[
                {"PartitionKey": f"p{i}-{j}", "Data": json.dumps({"n": i, "j": j}).encode()}
                for j in range(20)])
            i += 1
            self.stop.wait(0.05)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def test_streams_page_creates_a_stream(browser, server, kinesis):
    open_page(browser, server, "/", "create-submit")
    element(browser, "create-name").send_keys("made-in-browser")
    Select(element(browser, "create-mode")).select_by_value("PROVISIONED")
    shards = element(browser, "create-shards")
    shards.clear()
    shards.send_keys("2")
    element(browser, "create-submit").click()
    row = wait_until(lambda: browser.find_elements(
        By.CSS_SELECTOR, '#streams-table tr[data-stream="made-in-browser"]'), WAIT_S,
        "the created stream in the streams table")[0]
    wait_until(lambda: "ACTIVE" in row.text, WAIT_S, "the new stream to show ACTIVE")
    assert kinesis.describe_stream_summary(StreamName="made-in-browser")[
        "StreamDescriptionSummary"]["OpenShardCount"] == 2
    assert console_errors(browser) == []
    screenshots(browser, "streams")


def test_stream_page_moves_with_traffic_and_splits(browser, server, kinesis, stream):
    name = stream(shards=2)
    open_page(browser, server, f"/stream/{name}", "shard-table")
    with Producer(kinesis, name):
        wait_until(lambda: (last_point(browser, "chart-records") or 0) > 0, WAIT_S,
                   "the records chart's last point to rise above 0")

        def stored():
            cells = browser.find_elements(By.CSS_SELECTOR, "#shard-table .records-stored")
            return sum(int(c.text or 0) for c in cells) > 0

        wait_until(stored, WAIT_S, "the shard table's stored records to grow")
        # A few seconds of graph for the picture of the page.
        wait_until(lambda: browser.execute_script(
            "return window.spateDashboard.charts['chart-records'].data.datasets[0].data"
            ".filter(v => v > 0).length") >= 8, WAIT_S, "eight seconds of graph")
    assert console_errors(browser) == []
    full_page(browser, "stream")
    screenshots(browser, "stream")

    # The per-shard graph shows any of the four series.
    Select(element(browser, "shard-series")).select_by_value("bytes_in")
    wait_until(lambda: browser.execute_script(
        "const c = window.spateDashboard.charts['chart-shards'];"
        "return c.data.datasets.length === 2 &&"
        " Math.max(...c.data.datasets[0].data.filter(v => v !== null)) > 1000;"), WAIT_S,
        "incoming bytes/s per shard in the per-shard graph")

    # Split from the page: the lineage picture gains two children under a closed parent.
    Select(element(browser, "split-shard")).select_by_value("shardId-000000000000")
    element(browser, "split-submit").click()
    wait_until(lambda: len(browser.find_elements(By.CSS_SELECTOR, "#lineage [data-shard]")) == 4,
               WAIT_S, "four shards in the lineage picture")
    wait_until(lambda: browser.find_elements(
        By.CSS_SELECTOR, '#lineage .closed[data-shard="shardId-000000000000"]'), WAIT_S,
        "the split parent drawn closed")
    wait_active(kinesis, name)

    # A refused action shows the server's error next to its control.
    count = element(browser, "scale-count")
    count.clear()
    count.send_keys("100000")
    element(browser, "scale-submit").click()
    result = element(browser, "scale-result")
    wait_until(lambda: "Exception" in result.text, WAIT_S, "the refusal next to Scale")
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
        "OpenShardCount"] == 3
    assert console_errors(browser) == []
    screenshots(browser, "stream-after-split")


def test_record_browser_reads_and_follows_live(browser, server, kinesis, stream):
    name = stream(shards=1)
    kinesis.put_record(StreamName=name, PartitionKey="k", Data=b'{"hello": "world"}')
    open_page(browser, server, f"/records/{name}", "records-read")
    Select(element(browser, "records-start")).select_by_value("TRIM_HORIZON")
    element(browser, "records-read").click()
    rows = wait_until(lambda: browser.find_elements(By.CSS_SELECTOR, "#records-table .record-row"),
                      WAIT_S, "the stored record in the record browser")
    assert '"hello": "world"' in rows[0].text  # pretty-printed JSON
    element(browser, "live").click()
    wait_until(lambda: element(browser, "live-status").text.startswith("live:"), WAIT_S,
               "the Live feed to connect")
    with Producer(kinesis, name):
        wait_until(lambda: len(browser.find_elements(
            By.CSS_SELECTOR, "#records-table .record-row")) >= 20, WAIT_S,
            "live records to arrive in the table")
    assert console_errors(browser) == []
    screenshots(browser, "records")
    element(browser, "live").click()  # off: the socket closes


def test_server_page(browser, server):
    open_page(browser, server, "/server", "server-info")
    info = element(browser, "server-info")
    wait_until(lambda: "batch" in info.text, WAIT_S, "the fsync policy on the server page")
    wait_until(lambda: last_point(browser, "chart-rss"), WAIT_S, "an RSS point")
    assert console_errors(browser) == []
    screenshots(browser, "server")


def test_read_only_mode_has_no_actions_and_the_server_refuses_them(browser, spated_factory):
    server = spated_factory(extra_args=["--dashboard", "read-only"])
    kinesis = server.client()
    kinesis.create_stream(StreamName="ro", ShardCount=1)
    wait_active(kinesis, "ro")
    open_page(browser, server, "/stream/ro", "shard-table")
    assert not [e for e in browser.find_elements(By.ID, "actions") if e.is_displayed()]
    assert not browser.find_elements(By.ID, "split-submit")
    # The page's own token does not make a write go through.
    status = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        fetch('/v1/session').then(r => r.json()).then(s => fetch('/v1/kinesis', {
            method: 'POST',
            headers: {'Content-Type': 'application/x-amz-json-1.1', 'X-Spate-Csrf': s.csrf,
                      'X-Amz-Target': 'Kinesis_20131202.DeleteStream'},
            body: JSON.stringify({StreamName: 'ro'})})).then(r => done(r.status));
    """)
    assert status == 403
    assert kinesis.describe_stream_summary(StreamName="ro")["StreamDescriptionSummary"][
        "StreamStatus"] == "ACTIVE"
    screenshots(browser, "stream-read-only")


def test_with_sigv4_the_page_asks_for_a_key_pair(browser, spated_factory, tmp_path):
    creds = tmp_path / "credentials"
    write_credentials(creds, [("AKIDBROWSER", "browser-secret")])
    server = spated_factory(extra_args=["--auth", "sigv4", "--credentials", str(creds)])
    browser.delete_all_cookies()
    browser.get(server.endpoint + "/#/")
    wait_until(lambda: element(browser, "login-form").is_displayed(), WAIT_S, "the login form")
    screenshots(browser, "login")
    element(browser, "login-key").send_keys("AKIDBROWSER")
    element(browser, "login-secret").send_keys("wrong")
    element(browser, "login-submit").click()
    wait_until(lambda: element(browser, "login-error").text, WAIT_S, "the refusal of a wrong secret")
    assert not browser.find_elements(By.ID, "streams-table")
    secret = element(browser, "login-secret")
    secret.clear()
    secret.send_keys("browser-secret")
    element(browser, "login-submit").click()
    wait_until(lambda: browser.find_elements(By.ID, "streams-table"), WAIT_S,
               "the streams page after logging in")
    cookie = browser.get_cookie("spate_session")
    assert cookie and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert console_errors(browser) == []


# -- another origin ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sdk_bundle(tmp_path_factory) -> Path:
    """The AWS SDK for JavaScript v3's Kinesis client, bundled for a browser page."""
    esbuild = JS_SDK / ".bin" / "esbuild"
    assert esbuild.exists(), f"{esbuild} is missing: run scripts/install-js-sdk.sh (make test-deps)"
    folder = tmp_path_factory.mktemp("other-origin")
    entry = folder / "entry.mjs"
    entry.write_text('export { KinesisClient, ListStreamsCommand, PutRecordCommand } '
                     'from "@aws-sdk/client-kinesis";\n')
    subprocess.run([str(esbuild), str(entry), "--bundle", "--format=iife",
                    "--global-name=AwsKinesis", "--platform=browser", "--log-level=warning",
                    f"--outfile={folder / 'sdk.js'}"],
                   check=True, env={**os.environ, "NODE_PATH": str(JS_SDK)}, timeout=120)
    (folder / "index.html").write_text(
        "<!doctype html><title>another origin</title><script src=\"sdk.js\"></script>\n")
    return folder


@pytest.fixture(scope="module")
def other_origin(sdk_bundle):
    """A static web server on another port of 127.0.0.1: another origin."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(sdk_bundle))
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        thread.join()


SDK_CALL = """
const [endpoint, done] = [arguments[0], arguments[arguments.length - 1]];
const client = new AwsKinesis.KinesisClient({endpoint, region: 'us-east-1', maxAttempts: 1,
    credentials: {accessKeyId: 'spate', secretAccessKey: 'spate'}});
client.send(new AwsKinesis.ListStreamsCommand({}))
  .then(r => done({ok: true, streams: r.StreamNames, requestId: r.$metadata.requestId}))
  .catch(e => done({ok: false, error: String(e)}));
"""

SUBSCRIBE = """
const [url, done] = [arguments[0], arguments[arguments.length - 1]];
const ws = new WebSocket(url);
ws.onopen = () => { ws.close(); done('open'); };
ws.onerror = () => done('refused');
"""


def test_sdk_in_a_page_of_a_listed_origin_calls_the_api(browser, spated_factory, other_origin):
    server = spated_factory(extra_args=["--allow-origin", other_origin])
    server.client().create_stream(StreamName="cors", ShardCount=1)
    browser.get(other_origin + "/index.html")
    result = browser.execute_async_script(SDK_CALL, server.endpoint)
    assert result["ok"], result
    assert result["streams"] == ["cors"]
    assert len(result["requestId"]) == 36  # x-amzn-RequestId is exposed to the page
    wait_active(server.client(), "cors")
    url = f"ws://127.0.0.1:{server.port}/v1/subscribe?stream=cors"
    assert browser.execute_async_script(SUBSCRIBE, url) == "open"


def test_a_page_of_another_origin_can_neither_call_nor_subscribe(browser, server, stream,
                                                                 other_origin):
    name = stream(shards=1)
    browser.get(other_origin + "/index.html")
    result = browser.execute_async_script(SDK_CALL, server.endpoint)
    assert not result["ok"], result  # CORS: the browser keeps the answer from the page
    url = f"ws://127.0.0.1:{server.port}/v1/subscribe?stream={name}"
    assert browser.execute_async_script(SUBSCRIBE, url) == "refused"
    browser.get_log("browser")  # the refusals are logged by the browser, as they should be
