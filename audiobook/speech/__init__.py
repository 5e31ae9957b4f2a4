"""Stage 3, speech: engines behind one async interface, the runner that feeds them, and
the segment cache."""
