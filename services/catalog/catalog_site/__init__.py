"""The catalog Django project (native Django, no database)."""
