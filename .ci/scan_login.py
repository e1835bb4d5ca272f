"""Log in to a running casemgr as a demo user and print the session cookie for sqlmap.

Usage: python .ci/scan_login.py BASE_URL USERNAME USER_AGENT
"""

from __future__ import annotations

import http.cookiejar
import re
import sys
import urllib.parse
import urllib.request

from casemgr.demo import DEMO_PASSWORD


def main() -> None:
    base, username, agent = sys.argv[1], sys.argv[2], sys.argv[3]
    if not base.startswith("http://127.0.0.1:"):
        raise SystemExit("the scan only ever targets 127.0.0.1")
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", agent)]
    page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    if token is None:
        raise SystemExit("no CSRF token on the login page")
    form = urllib.parse.urlencode({"username": username, "password": DEMO_PASSWORD,
                                   "csrf_token": token.group(1), "next": ""}).encode()
    opener.open(f"{base}/login", data=form).read()
    cookies = {cookie.name: cookie.value for cookie in jar}
    account = opener.open(f"{base}/account")
    if "casemgr_session" not in cookies or not account.geturl().endswith("/account"):
        raise SystemExit(f"could not log in as {username}")
    print("; ".join(f"{name}={value}" for name, value in cookies.items()))


if __name__ == "__main__":
    main()
