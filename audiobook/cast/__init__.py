"""Stage 2, cast: voices as values, their catalogues (``data/``), and who speaks with which
voice (the editable cast file)."""
