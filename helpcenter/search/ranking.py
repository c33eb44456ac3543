"""What players want: a gentle prior per article, from how they use the help center.

Among close matches the article players open from search, read and find helpful should come
first. Each article gets a factor a little above 1 (`Priors.factor`), multiplied into its
text score:

* usage: search click-through (SearchLog rows that opened it, over the last CLICK_DAYS days)
  weighted most, then "was this helpful" (helpful minus unhelpful votes, never below 0), then
  page views; log-scaled and divided by the best article's, so the most used article gets
  USAGE_WEIGHT and one used a tenth as much about half of that;
* the editors' order: the article an editor put first in its category is the one most players
  come for (withdrawal times before cancelling a withdrawal); ORDER_WEIGHT for the first,
  falling to 0 for the last.

The factors are at most 1 + USAGE_WEIGHT + ORDER_WEIGHT, so text relevance still decides: a
rarely wanted article whose text matches clearly better keeps its place, and the prior only
orders articles whose text matches about as well. They are read per process with the index
sync and kept for REFRESH_SECONDS (a few cheap grouped queries).
"""

import logging
import math
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import case, func, select
from sqlalchemy.exc import SQLAlchemyError

from helpcenter.articles.models import Article, ArticleVote
from helpcenter.db import utcnow
from helpcenter.extensions import db
from helpcenter.search.models import SearchLog

REFRESH_SECONDS = 300.0
CLICK_DAYS = 90
USAGE_WEIGHT = 0.15
ORDER_WEIGHT = 0.12
CLICK_POINTS = 5.0
HELPFUL_POINTS = 2.0
VIEW_POINTS = 0.1


@dataclass(frozen=True)
class Priors:
    factors: dict[str, float] = field(default_factory=dict)

    def factor(self, slug: str) -> float:
        """1 for an article the database does not know (not yet counted)."""
        return self.factors.get(slug, 1.0)


def load() -> Priors:
    """The articles' priors from the database; neutral ones when it cannot be read."""
    try:
        return _load()
    except SQLAlchemyError as exc:
        db.session.rollback()
        logging.getLogger(__name__).warning("search priors unavailable: %s", exc)
        return Priors()


def _load() -> Priors:
    articles = db.session.execute(
        select(Article.id, Article.slug, Article.category_id, Article.position, Article.view_count)
    ).all()
    since = utcnow() - timedelta(days=CLICK_DAYS)
    clicks: dict[str | None, int] = dict(
        db.session.execute(
            select(SearchLog.opened_slug, func.count(SearchLog.id))
            .where(SearchLog.opened_slug.is_not(None), SearchLog.created_at >= since)
            .group_by(SearchLog.opened_slug)
        ).all()
    )
    votes: dict[int, int] = dict(
        db.session.execute(
            select(
                ArticleVote.article_id,
                func.sum(case((ArticleVote.is_helpful, 1), else_=-1)),
            ).group_by(ArticleVote.article_id)
        ).all()
    )
    usage: dict[str, float] = {}
    by_category: dict[int, list[tuple[int, str]]] = {}
    for article_id, slug, category_id, position, views in articles:
        points = (
            CLICK_POINTS * clicks.get(slug, 0)
            + HELPFUL_POINTS * max(0, int(votes.get(article_id) or 0))
            + VIEW_POINTS * (views or 0)
        )
        usage[slug] = math.log1p(points)
        by_category.setdefault(category_id, []).append((position, slug))
    best = max(usage.values(), default=0.0) or 1.0
    factors = {slug: 1.0 + USAGE_WEIGHT * value / best for slug, value in usage.items()}
    for members in by_category.values():
        members.sort()
        last = max(1, len(members) - 1)
        for rank, (_, slug) in enumerate(members):
            factors[slug] += ORDER_WEIGHT * (1 - rank / last)
    return Priors(factors)
