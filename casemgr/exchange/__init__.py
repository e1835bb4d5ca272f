"""Bulk import and export of applicant records in the record format of INTERFACES.md §3."""
