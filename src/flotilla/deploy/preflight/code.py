"""Code the image will run, checked statically (nothing is imported)."""
