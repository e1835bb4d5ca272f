"""Humanitarian needs: UNHCR specific needs on the person, and tracked assistance needs."""
