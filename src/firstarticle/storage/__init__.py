"""SQLAlchemy storage: tables mapped onto the domain, repositories and the unit of work."""
