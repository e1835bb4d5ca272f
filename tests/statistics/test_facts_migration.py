"""Migration 0006 fills `statistics_facts` from the records a database already holds, with
the same facts the app keeps current."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from casemgr.extensions import db
from tests.conftest import make_app
from tests.factories import Factories
from tests.statistics.helpers import add_needs, person
from tests.statistics.test_facts import stored_facts
from tests.statistics.test_tables import objection_fixture


def test_the_migration_backfills_the_facts_the_app_keeps(fresh_database, tmp_path: Path) -> None:
    app = make_app(fresh_database, tmp_path / "instance")
    with app.app_context():
        upgrade()
    factories = Factories(app)
    agency = factories.organisation()
    objection_fixture(factories)
    held = person(factories, agency, date(2025, 4, 1), ("not_referred", date(2025, 4, 3)),
                  port="ICN", nationality="KAZ", sex="F")
    add_needs(app, held.applicant_id, "SC-UC")
    person(factories, agency, date(2022, 3, 1))
    with app.app_context():
        kept = stored_facts()
        assert kept.total() > 20
        db.session.remove()  # end the read, or PostgreSQL's DROP waits for its lock forever
        downgrade(revision="0005")
        assert "statistics_facts" not in sa.inspect(db.engine).get_table_names()
        upgrade()
        assert stored_facts() == kept
        db.session.remove()
        db.engine.dispose()
