"""Search use cases: answering a query and rebuilding the index."""

import logging

from helpcenter.search import index, queries

log = logging.getLogger(__name__)


def search(*, text: str, lang: str, page: int = 1, per_page: int = 10) -> queries.Results:
    """Search the knowledge base; a broken index is rebuilt, never an error for the player."""
    return queries.search(text, lang, page=page, per_page=per_page)


def reindex() -> str:
    """Rebuild the whole index from the database and make it current; returns its name."""
    return index.rebuild()
