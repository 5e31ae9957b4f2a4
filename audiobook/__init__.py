"""audiobook: Chinese web novels to chaptered, tagged MP3 audiobooks."""

__version__ = "0.1.0"
