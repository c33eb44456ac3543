"""The relevance set: how players really type, and whether the right article comes up."""

from collections import defaultdict
from pathlib import Path

import yaml

from helpcenter.search import queries

CASES = yaml.safe_load((Path(__file__).with_name("relevance.yml")).read_text(encoding="utf-8"))


def test_relevance_set_finds_the_expected_article(indexed, capsys):
    ranks: dict[str, list[int | None]] = defaultdict(list)
    misses = []
    with indexed.test_request_context():
        for case in CASES:
            found = queries.search(case["q"], case["lang"], per_page=10)
            slugs = [hit.slug for hit in found.hits]
            rank = slugs.index(case["expect"]) + 1 if case["expect"] in slugs else None
            ranks[f"{case['lang']} {case['kind']}"].append(rank)
            ranks["all"].append(rank)
            if rank is None or rank > 3:
                misses.append(
                    f"{case['lang']} {case['kind']:<15} {case['q']!r}: {rank} -> {slugs[:3]}"
                )

    def stats(values):
        n = len(values)
        hit1 = sum(1 for r in values if r == 1) / n
        hit3 = sum(1 for r in values if r and r <= 3) / n
        mrr = sum(1 / r for r in values if r) / n
        return n, hit1, hit3, mrr

    lines = [f"{'kind':<20} {'n':>4} {'hit@1':>6} {'hit@3':>6} {'MRR':>6}"]
    for kind in sorted(ranks):
        n, hit1, hit3, mrr = stats(ranks[kind])
        lines.append(f"{kind:<20} {n:>4} {hit1:>6.2f} {hit3:>6.2f} {mrr:>6.2f}")
    report = "\n".join([*lines, "", "below rank 3:", *misses])
    with capsys.disabled():
        print("\n" + report)
    _, hit1, hit3, _ = stats(ranks["all"])
    # Issue 13's targets: not below the 0.96 hit@3 of the set before it, and hit@1 >= 0.90.
    assert hit3 >= 0.96, report
    assert hit1 >= 0.90, report
