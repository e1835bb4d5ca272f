"""Retention: anonymising people whose cases have long been closed (`casemgr retention`)."""
