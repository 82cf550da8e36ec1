#!/usr/bin/env python3
# License AGPL-3.0 or later (http://www.gnu.org/licenses/agpl).
"""Screenshots of a running Odoo with headless Chromium, for the README.

    screenshots.py --url http://127.0.0.1:8069 --db isp_demo --out docs/screenshots \\
        "subscribers|admin|action:isp_prepaid_billing.res_partner_action_isp" ...

Each page is ``NAME|LOGIN[:PASSWORD]|TARGET[|SELECTOR]`` (the password
defaults to the login, as for the demo users). TARGET is one of

- ``/a/path`` (``/my/isp``, ``/odoo/action-...``): opened as it is;
- ``action:<xmlid>``: the window or client action, e.g. a dashboard;
- ``menu:<xmlid>``: the action of that menu;
- ``record:<action xmlid>:<record xmlid>``: that record's form in the action.

SELECTOR, a CSS selector, is scrolled to the top of the window first (e.g. a
form's notebook). A page whose action, menu or record does not exist (yet) is
skipped with a message, so a page can be listed before the feature it shows is merged.
Saves ``OUT/NAME.png`` at 1280x800. Speaks the Chrome DevTools Protocol over a
websocket (websocket-client, as Odoo's browser tests), nothing else.
"""

import argparse
import base64
import io
import itertools
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import websocket

WIDTH, HEIGHT = 1280, 800
# The page is ready when this holds (and stays so for a moment): the web client
# shows an action and loads nothing; a portal page is loaded.
READY = """(() => {
    if (document.readyState !== "complete") return false;
    if (location.pathname.startsWith("/web/login")) return "login";
    if (document.querySelector(".o_loading_indicator, .o_blockUI, .o_spinner")) return false;
    if (location.pathname.startsWith("/odoo") || location.pathname.startsWith("/web")) {
        // An action (view or client action) is mounted once its data is loaded.
        const action = document.querySelector(".o_action_manager > .o_action");
        return Boolean(action && action.childElementCount);
    }
    return true;
})()"""


class Skip(Exception):
    """A page that cannot be shown (yet)."""


class Odoo:
    """JSON-RPC sessions on the server."""

    def __init__(self, url, db):
        self.url, self.db = url.rstrip("/"), db
        self.sessions = {}

    def session(self, login, password):
        if login not in self.sessions:
            http = requests.Session()
            reply = http.post(
                f"{self.url}/web/session/authenticate",
                json={
                    "jsonrpc": "2.0",
                    "params": {"db": self.db, "login": login, "password": password},
                },
                timeout=60,
            ).json()
            if reply.get("error") or not (reply.get("result") or {}).get("uid"):
                sys.exit(
                    f"screenshots: cannot log in as {login!r} on {self.db}: {reply}"
                )
            self.sessions[login] = http
        return self.sessions[login]

    def call(self, http, model, method, *args, **kwargs):
        reply = http.post(
            f"{self.url}/web/dataset/call_kw",
            json={
                "jsonrpc": "2.0",
                "params": {
                    "model": model,
                    "method": method,
                    "args": list(args),
                    "kwargs": kwargs,
                },
            },
            timeout=60,
        ).json()
        if reply.get("error"):
            raise Skip(reply["error"]["data"]["message"])
        return reply["result"]

    def xmlid(self, http, xmlid, model=None):
        module, __, name = xmlid.partition(".")
        rows = self.call(
            http,
            "ir.model.data",
            "search_read",
            [("module", "=", module), ("name", "=", name)],
            ["model", "res_id"],
        )
        if not rows or (model and rows[0]["model"] != model):
            raise Skip(f"{xmlid} does not exist in this database")
        return rows[0]

    def path(self, http, target):
        """The URL path of ``target``."""
        kind, __, rest = target.partition(":")
        if target.startswith("/"):
            return target
        if kind == "action":
            action = self.xmlid(http, rest)
            return f"/odoo/action-{action['res_id']}"
        if kind == "menu":
            menu = self.xmlid(http, rest, "ir.ui.menu")
            rows = self.call(http, "ir.ui.menu", "read", [menu["res_id"]], ["action"])
            if not rows or not rows[0]["action"]:
                raise Skip(f"menu {rest} opens no action")
            return f"/odoo/action-{rows[0]['action'].split(',')[1]}"
        if kind == "record":
            action, __, record = rest.partition(":")
            action_id = self.xmlid(http, action)["res_id"]
            record_id = self.xmlid(http, record)["res_id"]
            return f"/odoo/action-{action_id}/{record_id}"
        sys.exit(f"screenshots: unknown target {target!r}")


class Chromium:
    """A headless Chromium driven over the DevTools Protocol."""

    def __init__(self):
        binary = next(
            filter(
                None,
                map(shutil.which, ("chromium", "chromium-browser", "google-chrome")),
            ),
            None,
        )
        if not binary:
            sys.exit("screenshots: Chromium is not installed (Debian package chromium)")
        self.profile = tempfile.mkdtemp(prefix="isp-screenshots-")
        self.process = subprocess.Popen(
            [
                binary,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-extensions",
                "--no-first-run",
                "--no-default-browser-check",
                "--hide-scrollbars",
                "--force-device-scale-factor=1",
                f"--window-size={WIDTH},{HEIGHT}",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                f"--user-data-dir={self.profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=True,
        )
        port_file = Path(self.profile, "DevToolsActivePort")
        for __ in range(300):
            if port_file.is_file() and port_file.stat().st_size > 5:
                break
            time.sleep(0.1)
        else:
            self.close()
            sys.exit("screenshots: Chromium did not open its debugging port")
        port = int(port_file.read_text().split()[0])
        for __ in range(50):
            pages = [
                t
                for t in requests.get(
                    f"http://127.0.0.1:{port}/json", timeout=10
                ).json()
                if t["type"] == "page"
            ]
            if pages:
                break
            time.sleep(0.1)
        self.ws = websocket.create_connection(
            pages[0]["webSocketDebuggerUrl"], suppress_origin=True, timeout=60
        )
        self.ids = itertools.count(1)
        self.events = []
        self.send("Page.enable")
        self.send("Network.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=WIDTH,
            height=HEIGHT,
            deviceScaleFactor=1,
            mobile=False,
        )

    def send(self, method, **params):
        """Call ``method`` and return its result (events met on the way are kept)."""
        call_id = next(self.ids)
        self.ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def evaluate(self, expression):
        result = self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True
        )
        return result.get("result", {}).get("value")

    def open(self, url, cookies, timeout=90):
        self.send("Network.clearBrowserCookies")
        for name, value in cookies.items():
            self.send("Network.setCookie", name=name, value=value, url=url)
        self.send("Page.navigate", url=url)
        deadline, ready_since = time.time() + timeout, None
        while time.time() < deadline:
            state = self.evaluate(READY)
            if state == "login":
                raise RuntimeError(
                    f"{url} shows the login page: the session was refused"
                )
            if state is True:
                ready_since = ready_since or time.time()
                # Stable for a second: fonts, images and the last render are in.
                if time.time() - ready_since >= 1.0:
                    return
            else:
                ready_since = None
            time.sleep(0.25)
        raise RuntimeError(f"{url} was not ready after {timeout}s")

    def scroll_to(self, selector):
        found = self.evaluate(f"""(() => {{
                const element = document.querySelector({json.dumps(selector)});
                if (!element) return false;
                element.scrollIntoView({{block: "start"}});
                return true;
            }})()""")
        if not found:
            raise RuntimeError(f"nothing matches {selector!r}")
        time.sleep(0.5)

    def screenshot(self):
        # Leave the caret and the mouse out of the picture.
        self.evaluate("document.activeElement && document.activeElement.blur()")
        data = self.send(
            "Page.captureScreenshot",
            format="png",
            clip={"x": 0, "y": 0, "width": WIDTH, "height": HEIGHT, "scale": 1},
        )["data"]
        return base64.b64decode(data)

    def close(self):
        if getattr(self, "ws", None):
            self.ws.close()
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def optimise(png):
    """A smaller PNG of the same picture (Pillow, which Odoo requires)."""
    try:
        from PIL import Image
    except ImportError:
        return png
    image = Image.open(io.BytesIO(png)).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return min(png, out.getvalue(), key=len)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the running server")
    parser.add_argument("--db", required=True)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument(
        "pages", nargs="+", help="NAME|LOGIN[:PASSWORD]|TARGET[|SELECTOR]"
    )
    options = parser.parse_args()
    options.out.mkdir(parents=True, exist_ok=True)
    odoo = Odoo(options.url, options.db)
    browser = Chromium()
    failed = False
    try:
        for page in options.pages:
            try:
                name, credentials, target, *scroll = page.split("|", 3)
            except ValueError:
                sys.exit(f"screenshots: {page!r} is not NAME|LOGIN|TARGET[|SELECTOR]")
            login, __, password = credentials.partition(":")
            http = odoo.session(login, password or login)
            try:
                path = odoo.path(http, target)
            except Skip as why:
                print(f"screenshots: skipped {name}: {why}", file=sys.stderr)
                continue
            try:
                browser.open(f"{odoo.url}{path}", http.cookies.get_dict())
                if scroll:
                    browser.scroll_to(scroll[0])
            except RuntimeError as error:
                print(f"screenshots: {name}: {error}", file=sys.stderr)
                failed = True
                continue
            file = options.out / f"{name}.png"
            file.write_bytes(optimise(browser.screenshot()))
            print(f"screenshots: {file} ({path}, {file.stat().st_size // 1024} kB)")
    finally:
        browser.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
