"""Contact use cases besides filing (which is `tickets.services.file_ticket`): deflections."""

import logging

from helpcenter.articles import queries as articles
from helpcenter.articles.services import ArticleNotFound
from helpcenter.extensions import db
from helpcenter.support import current
from helpcenter.tickets.models import Deflection

log = logging.getLogger(__name__)


def record_deflection(*, slug: str, lang: str, topic: str = "") -> Deflection:
    """Count "this solved my problem" for a published article; raises ArticleNotFound."""
    if articles.locate_article(slug) is None:
        raise ArticleNotFound(slug)
    known_topics = {t.id for t in current().topics}
    deflection = Deflection(
        article_slug=slug, language=lang, topic=topic if topic in known_topics else ""
    )
    db.session.add(deflection)
    db.session.commit()
    log.info("request deflected by %s (%s, %s)", slug, lang, deflection.topic or "no topic")
    return deflection
