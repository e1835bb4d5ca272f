"""gunicorn.conf.py, plus a hook that holds a worker in the middle of a transaction, so a
test can kill it there with SIGKILL.

When a request whose path ends with CASEMGR_TEST_PAUSE_PATH executes an SQL statement
starting with CASEMGR_TEST_PAUSE_SQL, the worker writes its pid to CASEMGR_TEST_PAUSE_MARKER
and sleeps (once: a marker already there means the pause has happened).
"""

import os
import time
from pathlib import Path

from casemgr import ROOT

exec(compile((ROOT / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"))  # noqa: S102


def post_worker_init(worker):
    import sqlalchemy as sa
    from flask import has_request_context, request
    from sqlalchemy.engine import Engine

    path = os.environ["CASEMGR_TEST_PAUSE_PATH"]
    sql = os.environ["CASEMGR_TEST_PAUSE_SQL"].upper()
    marker = Path(os.environ["CASEMGR_TEST_PAUSE_MARKER"])

    @sa.event.listens_for(Engine, "after_cursor_execute")
    def pause(_connection, _cursor, statement, *_args):
        if (has_request_context() and request.path.endswith(path)
                and statement.lstrip().upper().startswith(sql) and not marker.exists()):
            marker.write_text(str(os.getpid()))
            time.sleep(300)  # the test kills this worker long before
