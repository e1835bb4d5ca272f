"""The agency roles' start page."""
