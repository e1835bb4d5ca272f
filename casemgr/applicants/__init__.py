"""Applicants: the people casemgr serves."""
