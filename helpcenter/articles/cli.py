"""`helpcenter content ...`: validate and load article sources."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from helpcenter import cache
from helpcenter.articles import glossary, services
from helpcenter.articles.content import (
    ContentSet,
    read_content,
    render_processes,
    translation_report,
)
from helpcenter.search import services as search_services


@click.group(help="Validate and load the knowledge base from a content directory.")
def content() -> None:
    pass


def _directory(value: str | None) -> str:
    return value or current_app.config["CONTENT_DIR"]


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Run a bulk load without Python's cycle collector.

    What a load reads and makes lives until it ends, and the collector walked all of it again
    and again: a fifth of the time of a large load, for almost no garbage.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@content.command(
    "load",
    help=(
        "Validate every file in DIR (default: content/), then sync the database in one "
        "transaction: new and changed articles are saved, articles no longer in DIR are "
        "unpublished. On any problem, print path:line: message for each, exit 1 and change "
        "nothing. Refuses to replace articles edited in the workspace since, naming them, "
        "unless --force."
    ),
)
@click.argument("directory", metavar="[DIR]", required=False)
@click.option(
    "--force",
    is_flag=True,
    help="Load even over articles that editors changed in the workspace since the last load.",
)
@with_appcontext
def load(directory: str | None, force: bool) -> None:
    directory = _directory(directory)
    try:
        with _without_cycle_collection():
            report = services.load_content(
                directory=directory, force=force, processes=render_processes()
            )
    except services.ContentInvalid as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(exc.problems)} problem(s); nothing was loaded.", err=True)
        raise SystemExit(1) from None
    except services.ContentConflict as exc:
        click.echo("Edited in the workspace since the last load (export them first):", err=True)
        for name in exc.articles:
            click.echo(f"  {name}", err=True)
        click.echo("Nothing was loaded; --force loads over them.", err=True)
        raise SystemExit(1) from None
    cache.clear()
    generation = search_services.reindex()
    click.echo(
        f"Loaded {directory}: {len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.unpublished)} unpublished, {report.unchanged} unchanged; "
        f"search index {generation}."
    )


@content.command(
    "check",
    help=(
        "Validate DIR (default: content/) like `load` without touching the database, and print "
        "a translation report per article and language: up to date, outdated (its source_hash "
        "no longer matches the source) or missing. With DIR/glossary.yml, also warn of each "
        "variant it says to avoid in an article's title, summary or text (not its tags), as "
        'path:line: glossary: "variant" — use "term"; a malformed glossary fails. With '
        "--strict, missing or outdated translations and glossary warnings also fail."
    ),
)
@click.argument("directory", metavar="[DIR]", required=False)
@click.option(
    "--strict",
    is_flag=True,
    help="Exit 1 if any translation is missing or outdated, or on any glossary warning.",
)
@click.option("--quiet", is_flag=True, help="Print only problems and the summary, not every line.")
@with_appcontext
def check(directory: str | None, strict: bool, quiet: bool) -> None:
    directory = _directory(directory)
    try:
        terms = glossary.load(Path(directory) / glossary.FILE_NAME)
    except glossary.GlossaryError as error:
        click.echo(str(error), err=True)
        raise SystemExit(1) from None
    content_set = read_content(directory, processes=render_processes())
    for problem in content_set.problems:
        click.echo(str(problem), err=True)
    warnings = _glossary_warnings(content_set, terms)
    for warning in warnings:
        click.echo(warning, err=True)
    report = translation_report(content_set)
    for status in report:
        if quiet and status.status == "up to date":
            continue
        detail = f" ({status.detail})" if status.detail else ""
        click.echo(f"{status.slug:<32} {status.lang}  {status.status}{detail}")
    totals = {
        s: sum(1 for r in report if r.status == s) for s in ("up to date", "outdated", "missing")
    }
    click.echo(
        f"{len(content_set.articles)} articles in {len(content_set.categories)} categories: "
        f"{totals['up to date']} up to date, {totals['outdated']} outdated, "
        f"{totals['missing']} missing; "
        f"{len(content_set.problems)} problem(s), {len(warnings)} glossary warning(s)."
    )
    if content_set.problems or (strict and (totals["outdated"] or totals["missing"] or warnings)):
        raise SystemExit(1)


def _glossary_warnings(content_set: ContentSet, terms: glossary.Glossary | None) -> list[str]:
    """`path:line: glossary: "variant" — use "term"` for each variant in an article or in a
    category's title and description."""
    if terms is None:
        return []
    warnings = []
    for article in content_set.articles:
        for tr in article.translations.values():
            first_line = {"title": tr.title_line, "summary": tr.summary_line}
            hits = terms.check(tr.lang, title=tr.title, summary=tr.summary, body_md=tr.body_md)
            for hit in hits:
                line = first_line.get(hit.field, tr.body_line) + hit.line - 1
                warnings.append(f'{tr.path}:{line}: glossary: "{hit.variant}" — use "{hit.use}"')
    for category in content_set.categories:
        lines = Path(category.path).read_text(encoding="utf-8").splitlines()
        for texts in (category.titles, category.descriptions):
            for lang, text in texts.items():
                for hit in terms.find(text, lang):
                    line = next(
                        (n for n, row in enumerate(lines, 1) if f"{lang}:" in row and text in row),
                        1,
                    )
                    warnings.append(
                        f'{category.path}:{line}: glossary: "{hit.variant}" — use "{hit.use}"'
                    )
    return warnings


@content.command(
    "export",
    help=(
        "Write the published categories and articles into DIR in the content format, with "
        "translated_from and source_hash, for review in git. Unchanged files are left alone; "
        "folders of articles no longer published are removed. Loading DIR afterwards changes "
        "nothing."
    ),
)
@click.argument("directory", metavar="DIR")
@with_appcontext
def export(directory: str) -> None:
    try:
        report = services.export_content(directory=directory)
    except OSError as problem:
        raise click.ClickException(f"cannot write {directory}: {problem}") from None
    click.echo(
        f"Exported {report.articles} articles to {directory}: {report.files} file(s) written, "
        f"{len(report.removed)} removed."
    )
