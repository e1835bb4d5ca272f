"""`/healthz` for load balancers and orchestrators: is this worker able to reach its
database? It answers without login and discloses nothing but "ok" or "unavailable"."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, jsonify

from casemgr.auth.policy import public
from casemgr.extensions import db, limiter

bp = Blueprint("health", __name__)


@bp.route("/healthz")
@public
@limiter.exempt
def healthz() -> Any:
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="unavailable"), 503
    finally:
        db.session.close()
    return jsonify(status="ok")
