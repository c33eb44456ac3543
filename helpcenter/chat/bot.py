"""The answer bot: knowledge-base articles that may answer a chat's first message.

It asks the same search as the search page (`search.queries.search`), in the chat's language,
and keeps only hits that clearly answer: the search ranks everything that shares a word with
the message ("hello" meets an article that says hello), so a hit must score MIN_SCORE (a real
question scores 25 and more, a greeting under 12) and come close to the best one.
"""

from dataclasses import dataclass

from flask import url_for
from markupsafe import Markup

from helpcenter.search import queries

# Tuned on the shipped articles: questions ("Как пройти верификацию?", "my withdrawal is
# pending for 3 days") score 25-90; "Salam", "hello", "привет, как дела?" and gibberish under 12.
MIN_SCORE = 20.0
# Further articles must score this share of the best one, or they are noise beside it.
CLOSE_TO_BEST = 0.7


@dataclass(frozen=True)
class Suggestion:
    slug: str
    category: str
    lang: str
    title: str
    snippet: Markup  # the sentences that matched, with the message's words in <mark>
    url: str  # the article's path on this site

    def as_json(self) -> dict:
        """As stored with the bot's message (`TicketMessage.articles`)."""
        return {
            "slug": self.slug,
            "category": self.category,
            "lang": self.lang,
            "title": self.title,
            "snippet": str(self.snippet),
            "url": self.url,
        }


def suggest(text: str, lang: str, limit: int = 3) -> list[Suggestion]:
    """Up to `limit` articles in `lang` that answer `text`; none when nothing clearly does."""
    found = queries.search(text, lang, per_page=max(limit * 3, 10))
    hits = [hit for hit in found.hits if hit.lang == lang and not hit.is_fallback]
    if not hits or hits[0].score < MIN_SCORE:
        return []
    floor = hits[0].score * CLOSE_TO_BEST
    return [
        Suggestion(
            slug=hit.slug,
            category=hit.category,
            lang=hit.lang,
            title=hit.title,
            snippet=hit.snippet,
            url=url_for("articles.show", lang=hit.lang, category=hit.category, article=hit.slug),
        )
        for hit in hits
        if hit.score >= floor
    ][:limit]
