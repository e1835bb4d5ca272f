"""`casemgr demo` also plans hearings (past ones with outcomes, future ones that clash with
nothing) and needs, through the bulk writer."""

from __future__ import annotations

import sqlalchemy as sa

from casemgr.database import utcnow
from casemgr.extensions import db
from casemgr.hearings import services
from casemgr.hearings.models import CaseAttendance, Hearing, HearingStatus
from casemgr.needs.models import AssistanceNeed, NeedStatus, SpecificNeed


def test_demo_data_has_consistent_hearings_and_needs(app, runner) -> None:
    result = runner.invoke(args=["demo", "--applicants", "400", "--seed", "7"])
    assert result.exit_code == 0, result.output
    now = utcnow()
    with app.app_context():
        hearings = db.session.execute(sa.select(Hearing)).scalars().all()
        scheduled = [h for h in hearings if h.status == HearingStatus.SCHEDULED]
        past = [h for h in hearings if h.starts_at < now]
        assert len(scheduled) >= 20 and len(past) >= 20
        assert all(h.starts_at > now for h in scheduled)  # the past all has outcomes
        assert {h.status for h in past} >= {HearingStatus.HELD, HearingStatus.NO_SHOW}
        for hearing in scheduled:
            values = {"starts_at": hearing.starts_at, "ends_at": hearing.ends_at,
                      "location_key": hearing.location_key,
                      "interviewer_id": hearing.interviewer_id,
                      "interpreter_key": hearing.interpreter_key}
            assert services.find_conflicts(db.session, values, applicant_id=hearing.applicant_id,
                                           exclude_id=hearing.id) == []
        for hearing in hearings:
            assert hearing.case.applicant_id == hearing.applicant_id
            assert hearing.case.lodged_on <= services.times.local(hearing.starts_at).date()
        counted = dict(db.session.execute(sa.select(CaseAttendance.case_id,
                                                    CaseAttendance.no_shows)).all())
        missed: dict[int, int] = {}
        for hearing in hearings:
            if hearing.status == HearingStatus.NO_SHOW:
                missed[hearing.case_id] = missed.get(hearing.case_id, 0) + 1
        assert counted == missed
        needs = db.session.execute(sa.select(AssistanceNeed)).scalars().all()
        assert len(needs) >= 20
        for need in needs:
            assert need.opened_on <= (need.resolved_on or need.opened_on)
            assert (need.resolved_on is not None) == need.status.resolved
            assert need.status != NeedStatus.REFERRED or need.referred_to_org_id is not None
        codes = set(db.session.execute(sa.select(SpecificNeed.code)).scalars())
        assert "LP-DA" in codes and len(codes) >= 5
