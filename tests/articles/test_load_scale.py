"""A large load stays linear: related articles without all pairs, a fixed number of
statements whatever the number of articles, rendering in several processes that changes
nothing."""

import random
from collections import Counter

from sqlalchemy import event

from bench.load import build_content
from helpcenter.articles import content as content_module
from helpcenter.articles import services
from helpcenter.articles.content import read_content
from helpcenter.extensions import db
from tests.conftest import CONTENT_DIR


def pairwise_related(items):
    """The definition of related articles: every pair scored, as the loader once did."""
    result = {}
    category_of = {item.slug: item.category for item in items}
    for lang in ("az", "ru", "en"):
        candidates = [item for item in items if lang in item.texts]
        for item in candidates:
            tags_here, body = item.texts[lang]
            tags = {t.lower() for t in tags_here}
            scores = Counter()
            for other in candidates:
                if other.slug == item.slug:
                    continue
                other_tags, other_body = other.texts[lang]
                score = 2 * len(tags & {t.lower() for t in other_tags})
                score += 3 * (f"/{other.slug}/" in body) + 3 * (f"/{item.slug}/" in other_body)
                score += 2 * (other.category == item.category)
                if score:
                    scores[other.slug] = score
            ranked = sorted(scores, key=lambda s: (-scores[s], category_of[s], s))
            result[(item.slug, lang)] = ranked[: services.RELATED_LIMIT]
    return result


def test_related_articles_are_the_best_pairs_of_the_shipped_content():
    items = services._items_of(read_content(CONTENT_DIR))
    assert services.related_articles(items) == pairwise_related(items)


def test_related_articles_are_the_best_pairs_whatever_the_tags_links_and_ties():
    rng = random.Random(13)
    slugs = [f"a{i}" for i in range(60)] + ["a", "b", "a-b"]
    for _ in range(120):
        chosen = rng.sample(slugs, rng.randint(1, 40))
        vocabulary = [rng.choice(["Tag", "tag", "other", "x"]) + str(i) for i in range(10)]
        categories = [f"c{i}" for i in range(rng.randint(1, 4))]
        items = []
        for slug in chosen:
            texts = {}
            for lang in ("az", "ru", "en"):
                if rng.random() < 0.8:
                    tags = [rng.choice(vocabulary) for _ in range(rng.randint(0, 4))]
                    links = [
                        rng.choice([f"../../c/{s}/", f"/{s}x/", f"/az/c/{s}/#top"])
                        for s in rng.sample(chosen, min(len(chosen), rng.randint(0, 3)))
                    ]
                    texts[lang] = (tags, " text ".join(links))
            items.append(services.RelatedItem(slug, rng.choice(categories), texts))
        assert services.related_articles(items) == pairwise_related(items)


def _statements(app, directory) -> int:
    count = 0

    def counted(*args):
        nonlocal count
        count += 1

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", counted)
        try:
            services.load_content(directory=directory)
        finally:
            event.remove(db.engine, "before_cursor_execute", counted)
    return count


def test_an_unchanged_load_queries_as_often_for_many_articles_as_for_few(app, tmp_path):
    few, many = tmp_path / "few", tmp_path / "many"
    build_content(few, 1)  # content/ as shipped
    build_content(many, 2)  # and a copy of each article, under other slugs
    _statements(app, few)
    again_few = _statements(app, few)
    _statements(app, many)
    again_many = _statements(app, many)
    assert again_few == again_many, "an unchanged load queries per article"


def test_rendering_in_processes_reads_the_same_content(monkeypatch):
    serial = read_content(CONTENT_DIR)
    monkeypatch.setattr(content_module, "PARALLEL_RENDER", 1)
    parallel = read_content(CONTENT_DIR, processes=2)
    assert parallel == serial


def test_rendering_in_processes_reports_the_same_bad_links(monkeypatch, content_dir):
    content_dir.article("payments", "fees", body="See [limits](../../payments/limits/).")
    content_dir.article("payments", "times", body="Fine.")
    serial = read_content(content_dir.root)
    monkeypatch.setattr(content_module, "PARALLEL_RENDER", 1)
    parallel = read_content(content_dir.root, processes=2)
    assert [str(p) for p in parallel.problems] == [str(p) for p in serial.problems]
    assert len(serial.problems) == 3
