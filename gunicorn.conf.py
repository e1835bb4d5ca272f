"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py 'casemgr:create_app()'`.

Every value can be changed through the environment (GUNICORN_* below) without editing
this file; casemgr's own settings stay CASEMGR_* (see README).
"""

import gc
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")  # behind a TLS proxy
# The usual rule for synchronous workers: two per core, plus one.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
# Exports and statistics downloads stream for a while; a stuck request is still ended.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so that slow leaks never build up.
max_requests = 2000
max_requests_jitter = 200
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn's control socket (for `gunicornc`) defaults to one path per Unix user, so a
# second instance on the same host would take the first one's over: off unless
# GUNICORN_CONTROL_SOCKET names a path of this instance's own.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket

# Logs: one JSON object per line on stdout, from the app (one line per request with its
# X-Request-ID, status, duration and user id; see casemgr/logs.py) and from gunicorn itself.
# CASEMGR_LOG_FORMAT=text keeps readable lines.
os.environ.setdefault("CASEMGR_LOG_FORMAT", "json")
LOG_FORMAT = os.environ["CASEMGR_LOG_FORMAT"].strip().lower()
errorlog = "-"
# The app logs every request itself; gunicorn's access log is off unless asked for
# (GUNICORN_ACCESS_LOG=- or a file). Without query strings: they hold names people searched for.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
if LOG_FORMAT == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "casemgr.logs.JsonFormatter"}},
        "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json",
                                "stream": "ext://sys.stdout"}},
        "root": {"level": "INFO", "handlers": []},  # each worker's app adds its own
        # gunicorn writes access lines whenever a logging config is given: keep them
        # below this logger's level unless an access log was asked for.
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
            "gunicorn.access": {"level": "INFO" if accesslog else "WARNING",
                                "handlers": ["stdout"], "propagate": False},
        },
    }


def post_worker_init(_worker: object) -> None:
    """Once a worker has loaded the app: keep the objects of its start-up (modules, models,
    compiled statements) out of every later garbage collection, and collect the youngest
    generation every 5,000 new objects instead of 700. A page allocates thousands of
    short-lived objects; with the defaults the collector ran about twice a request and a
    full collection over the whole app every hundred or so, about 0.6 ms of an 11 ms list
    page at a million applicants, against 0.04 ms after (bench/README.md)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(5000, 10, 10)
