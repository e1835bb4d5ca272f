"""Asylum cases: the legal procedure, its status history, clocks and notes."""
