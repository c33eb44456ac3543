"""Support pages searched for in players' own words: each must come first, not just near it."""

from pathlib import Path

import yaml

from helpcenter.search import queries

SLUGS = {"contact-support", "data-protection", "official-support-accounts"}
CASES = [
    case
    for case in yaml.safe_load(
        (Path(__file__).with_name("relevance.yml")).read_text(encoding="utf-8")
    )
    if case["expect"] in SLUGS
]


def test_every_support_page_has_queries_in_each_language():
    for slug in SLUGS:
        kinds = {(case["lang"], case["kind"]) for case in CASES if case["expect"] == slug}
        assert {lang for lang, _ in kinds} == {"az", "ru", "en"}, slug
        assert ("az", "no-diacritics") in kinds, slug


def test_support_pages_come_first(indexed):
    wrong = []
    with indexed.test_request_context():
        for case in CASES:
            found = queries.search(case["q"], case["lang"], per_page=10)
            slugs = [hit.slug for hit in found.hits]
            if slugs[:1] != [case["expect"]]:
                wrong.append(f"{case['lang']} {case['q']!r}: {slugs[:3]}, not {case['expect']}")
    assert not wrong, "\n".join(wrong)
