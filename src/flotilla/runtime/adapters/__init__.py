"""One adapter per framework: a Plugin becomes a real FastAPI app, Flask app or Django urlconf."""
