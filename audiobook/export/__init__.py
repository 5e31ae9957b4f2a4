"""Stage 5, export: what is made from finished chapters: the whole book (MP3, M4B), the
podcast feed and the preview page."""
