"""Stage 1, text: a file as it arrives -> a Book of chapters, sentences and speech segments
with their speakers. Pure functions over text; nothing here touches audio."""
