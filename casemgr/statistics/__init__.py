"""Annual registration statistics.

Importing the package keeps the `statistics_facts` table current: every ORM session
rebuilds the facts of the people it changed before it commits (see `facts.py`). The
models module (`casemgr.models`) and the app's views import it, so no write can miss it.
"""

from casemgr.statistics.facts import keep_current

keep_current()
