"""id_url builds a list's row links as url_for does, without the URL map per row."""

from __future__ import annotations

import pytest
from flask import url_for

from casemgr.templating import id_url


@pytest.mark.parametrize(("endpoint", "key"), [("applicants.detail", "applicant_id"),
                                               ("cases.detail", "case_id"),
                                               ("needs.detail", "need_id")])
@pytest.mark.parametrize("record_id", [1, 42, 1_000_000])
def test_id_url_gives_what_url_for_gives(app, endpoint, key, record_id):
    with app.test_request_context("/"):
        assert id_url(endpoint, key)(record_id) == url_for(endpoint, **{key: record_id})


def test_id_url_keeps_the_script_root_of_an_app_served_under_a_prefix(app):
    with app.test_request_context("/", base_url="http://localhost/casemgr/"):
        assert id_url("cases.detail", "case_id")(7) == "/casemgr/cases/7"


def test_id_url_takes_only_whole_numbers(app):
    with app.test_request_context("/"), pytest.raises(ValueError, match="invalid literal"):
        id_url("cases.detail", "case_id")("7/../../admin")
