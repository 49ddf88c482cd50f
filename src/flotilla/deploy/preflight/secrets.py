"""Secrets in the wrong place: an [env] name or value that looks like a secret."""
