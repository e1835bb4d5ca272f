"""Hearings and interviews: scheduling without double-booking, outcomes, calendar feeds."""
