"""Make the README's screenshots: the dashboard and the statistics page over demo data.

    .venv/bin/python docs/screenshots.py

Serves casemgr on 127.0.0.1 with a throwaway SQLite database of demo data, opens it in
Debian's Chromium (/usr/bin/chromium, driven by Playwright as in tests/e2e) and writes
docs/dashboard.png and docs/statistics.png, shrunk by Debian's pngquant when it is installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import WSGIRequestHandler, make_server

DOCS = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1280, "height": 860}


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: object, **kwargs: object) -> None:
        return None


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        os.environ["CASEMGR_INSTANCE_PATH"] = folder
        from flask_migrate import upgrade

        from casemgr import create_app
        from casemgr.database import refresh_statistics
        from casemgr.demo import DEMO_PASSWORD, load_demo
        from casemgr.extensions import db
        from casemgr.localtime import today

        app = create_app({"DATABASE_URL": f"sqlite:///{folder}/demo.sqlite3",
                          "SECRET_KEY": "screenshots", "TWO_FACTOR_ROLES": ""})
        with app.app_context():
            upgrade()
            load_demo(db.session, applicants=300, seed=2023, today=today())
            refresh_statistics(db.session)
            db.session.commit()
        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base_url = f"http://127.0.0.1:{server.server_port}"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                                     args=CHROMIUM_ARGS)
                for username, path, name in (("supervisor", "/", "dashboard"),
                                             ("analyst", "/statistics", "statistics")):
                    context = browser.new_context(base_url=base_url, viewport=VIEWPORT,
                                                  locale="en-GB")
                    page = context.new_page()
                    page.goto("/login")
                    page.get_by_label("Username").fill(username)
                    page.get_by_label("Password").fill(DEMO_PASSWORD)
                    with page.expect_navigation():
                        page.get_by_role("button", name="Log in").click()
                    page.goto(path)
                    page.screenshot(path=str(DOCS / f"{name}.png"))
                    context.close()
                    print(f"wrote docs/{name}.png", file=sys.stderr)
                browser.close()
        finally:
            server.shutdown()
    pngquant = shutil.which("pngquant")
    if pngquant:
        images = [str(DOCS / f"{name}.png") for name in ("dashboard", "statistics")]
        subprocess.run(  # noqa: S603 - fixed arguments, no shell
            [pngquant, "--force", "--skip-if-larger", "--quality", "70-95", "--strip",
             "--ext", ".png", *images], check=False)


if __name__ == "__main__":
    main()
