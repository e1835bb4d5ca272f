"""Annual registration statistics."""
