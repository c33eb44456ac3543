"""The one place for the shared words: languages, slugs, length limits and upload limits."""

import re

LANGUAGES = ("az", "ru", "en")
DEFAULT_LANGUAGE = "az"

# An article or category address: lowercase Latin letters and digits, words joined by one hyphen.
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SLUG = re.compile(SLUG_PATTERN)
MAX_SLUG = 80
# What a URL or support.yml may name: the same letters and length, hyphens not checked (an
# address that breaks SLUG is simply not found). No anchors: Werkzeug adds its own.
SLUG_URL_PATTERN = rf"[a-z0-9](?:[a-z0-9-]{{0,{MAX_SLUG - 2}}}[a-z0-9])?"

# Characters of an article's (and a category's) title, summary or description, and body.
MAX_TITLE = 200
MAX_SUMMARY = 300
# A long article is some 5,000 words; 100,000 characters leave room and keep pages fast.
MAX_BODY = 100_000

# Characters of a ticket's subject (the column is as wide).
MAX_SUBJECT = 150

# The NPS question ("How likely are you to recommend us to a friend?"): 0 to 10.
NPS_MIN, NPS_MAX = 0, 10

# Evidence a player attaches: files per post, bytes per file, pixels per image.
MAX_FILES = 5
MEGABYTE = 1024 * 1024  # as file sizes are shown to people
MAX_BYTES = 10 * MEGABYTE
MAX_MEGAPIXELS = 25


def max_megabytes() -> int:
    """MAX_BYTES in the megabytes messages state (read now, so a changed limit shows)."""
    return MAX_BYTES // MEGABYTE
