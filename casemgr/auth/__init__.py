"""Users, roles, organisations, login and the permission policy."""
