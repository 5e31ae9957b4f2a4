"""Stage 4, audio: synthesized segments -> chapter MP3s, with pauses, one loudness, tags,
chapter markers and subtitles."""
