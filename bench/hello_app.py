"""The throughput ceiling for bench/compare.py: a hello-world Flask route, served by
gunicorn with casemgr's gunicorn.conf.py and the same worker count.

    gunicorn -c gunicorn.conf.py --pythonpath bench 'hello_app:create_app()'
"""

from __future__ import annotations

from flask import Flask


def create_app() -> Flask:
    app = Flask(__name__)

    @app.route("/")
    def hello() -> str:
        return "Hello, World!"

    return app
