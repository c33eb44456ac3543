"""Editors' workspace pages: the translation overview, writing, translating, history, publishing.

For editors and admins only. Forms that carry an article's text check their own CSRF token
and keep the text whatever goes wrong: a stale form, a conflict with another editor's save, a
bad link, an oversized body. The preview goes through the same renderer and sanitizer as the
public page.
"""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user
from wtforms import SelectChoice

from helpcenter.articles import glossary
from helpcenter.articles import services as articles
from helpcenter.editor import diff, forms, queries, services
from helpcenter.extensions import csrf
from helpcenter.i18n import _
from helpcenter.staff import access
from helpcenter.staff import services as staff
from helpcenter.staff.views import private_headers, requires
from helpcenter.transaction import unit_of_work
from helpcenter.vocabulary import LANGUAGES, MAX_BODY
from helpcenter.web.pages import varying
from helpcenter.web.safety import bounded_int

bp = Blueprint("editor", __name__, url_prefix="/staff/content", template_folder="templates")
bp.after_request(private_headers)

# Bodies up to MAX_BODY characters must reach the form's own length check, which keeps the
# text; Werkzeug's default limit (500 kB) would answer 413 and lose it.
FORM_MEMORY = 4 * MAX_BODY * 4


@bp.before_request
def _room_for_long_texts():
    request.max_form_memory_size = FORM_MEMORY


editor_only = requires(access.may_edit_content)


def _article_or_404(slug: str):
    found = queries.article(slug)
    if found is None:
        abort(404)
    return found


def _lang_or_404(lang: str) -> str:
    if lang not in LANGUAGES:
        abort(404)
    return lang


def _ui_lang() -> str:
    return str(get_locale() or "en")[:2]


def _glossary() -> glossary.Glossary | None:
    """The repository's glossary (GLOSSARY_FILE), or None when absent or wrong.

    A mistake in the file must not stop editors from working: it is logged here and shown
    on the glossary page.
    """
    try:
        return glossary.load(current_app.config["GLOSSARY_FILE"])
    except glossary.GlossaryError as error:
        current_app.logger.warning("glossary not used: %s", error)
        return None


def _glossary_hits(lang: str, *, title: str, summary: str, body_md: str) -> list[glossary.Hit]:
    terms = _glossary()
    if terms is None:
        return []
    return terms.check(lang, title=title, summary=summary, body_md=body_md)


def _audit(action: str, target: str, detail: str = "") -> None:
    """The editor's audit entry, in the unit of work of the change it records."""
    staff.record(current_user, action, target=target, detail=detail)


# --- the overview --------------------------------------------------------------------------------


@bp.get("")
@editor_only
def overview():
    category = request.args.get("category", "")[:80]
    state = request.args.get("state", "")
    if state not in queries.STATES:
        state = ""
    lang = _ui_lang()
    return render_template(
        "editor/overview.html",
        overview=queries.overview(lang=lang, category=category, state=state),
        categories=queries.categories(),
        category=category,
        state=state,
    )


# --- writing -------------------------------------------------------------------------------------


def _draft(form: forms.ArticleForm) -> services.Draft:
    return services.Draft(
        title=form.title.data or "",
        summary=form.summary.data or "",
        tags=forms.parse_tags(form.tags.data),
        body_md=form.body.data or "",
    )


def _fill(form: forms.ArticleForm, text) -> None:
    form.title.data = text.title
    form.summary.data = text.summary
    form.tags.data = ", ".join(text.tags)
    form.body.data = text.body_md


def _preview_of(article, lang: str, body: str):
    return articles.render_for(article, lang, body).html if body.strip() else ""


@bp.route("/new", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own token and keeps the text when it fails
@editor_only
def new_article():
    form = forms.NewArticleForm()
    choices = queries.categories()
    form.category.choices = [SelectChoice(c.slug, c.titles.get("en") or c.slug) for c in choices]
    if request.method == "POST" and form.validate():
        category = next((c for c in choices if c.slug == form.category.data), None)
        try:
            if category is None:
                raise services.InvalidContent({"category": [_("Choose a category.")]})
            with unit_of_work():
                article = services.create_article(
                    category=category,
                    slug=form.slug.data,
                    lang=form.language.data,
                    draft=_draft(form),
                    author=current_user.email,
                )
                _audit("article_create", article.slug)
        except services.InvalidContent as problem:
            _show_problems(form, problem)
        else:
            flash(
                _("The article was saved as a draft. Players see it once you publish it."),
                "success",
            )
            return redirect(url_for(".article", slug=article.slug), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("editor/new.html", form=form), status


def _show_problems(form, problem: services.InvalidContent) -> None:
    for name, messages in problem.problems.items():
        field = getattr(form, name, None) or form.body
        field.errors = [*field.errors, *messages]


@bp.get("/glossary")
@editor_only
def glossary_page():
    """The glossary: the term to use for each concept in each language, and what to avoid."""
    problem = None
    try:
        terms = glossary.load(current_app.config["GLOSSARY_FILE"])
    except glossary.GlossaryError as error:
        terms, problem = None, str(error)
    return render_template("editor/glossary.html", glossary=terms, problem=problem)


@bp.get("/<slug:slug>")
@editor_only
def article(slug: str):
    found, cells = _article_or_404(slug)
    title, title_lang = queries.title_of(found, cells, _ui_lang())
    hits = {
        code: _glossary_hits(
            code,
            title=cell.revision.title,
            summary=cell.revision.summary,
            body_md=cell.revision.body_md,
        )
        for code, cell in cells.items()
        if cell.revision is not None
    }
    return render_template(
        "editor/article.html",
        article=found,
        cells=cells,
        title=title,
        title_lang=title_lang,
        glossary_hits={code: found_hits for code, found_hits in hits.items() if found_hits},
    )


def _editor_page(template: str, *, article, lang: str, form, status=200, **context):
    return (
        render_template(
            template,
            article=article,
            text_lang=lang,
            form=form,
            preview=_preview_of(article, lang, form.body.data or ""),
            glossary_hits=_glossary_hits(
                lang,
                title=form.title.data or "",
                summary=form.summary.data or "",
                body_md=form.body.data or "",
            ),
            **context,
        ),
        status,
    )


@bp.route("/<slug:slug>/<lang>/edit", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own token and keeps the text when it fails
@editor_only
def edit(slug: str, lang: str):
    lang = _lang_or_404(lang)
    found, cells = _article_or_404(slug)
    current = cells[lang].revision
    if request.method == "GET":
        form = forms.ArticleForm(formdata=None)
        if current is not None:
            _fill(form, current)
            form.base.data = str(current.id)
        return _editor_page("editor/edit.html", article=found, lang=lang, form=form)
    form = forms.ArticleForm()
    return _save(found, lang, form, "editor/edit.html")


def _save(found, lang: str, form, template: str, **context):
    """Save the form as a revision, or show it again with the problem and the text kept."""
    if request.form.get("action") == "preview" or not form.validate():
        if form.csrf_token.errors:
            flash(
                _(
                    "For your security this form has expired. "
                    "Check what you entered and send it again."
                ),
                "error",
            )
        status = 200 if request.form.get("action") == "preview" and not form.errors else 422
        return _editor_page(template, article=found, lang=lang, form=form, status=status, **context)
    source = None
    if form.source.data:
        source = queries.revision_by_id(int(form.source.data))
    try:
        with unit_of_work():
            revision = services.save(
                article=found,
                lang=lang,
                draft=_draft(form),
                base_id=form.base_id,
                author=current_user.email,
                translated_from=source.lang if source else None,
                source=source,
            )
            _audit("article_save", f"{found.slug}/{lang}", f"revision {revision.number}")
    except services.EditConflict as conflict:
        theirs = conflict.latest
        base = queries.revision_by_id(form.base_id) if form.base_id else None
        flash(
            _(
                "Someone else saved this article while you were editing it: their changes are "
                "shown below. Your text is kept; take their changes into it and save again."
            ),
            "error",
        )
        form.base.data = str(theirs.id) if theirs else ""
        changes = diff.diff(base.body_md if base else "", theirs.body_md if theirs else "")
        return _editor_page(
            template, article=found, lang=lang, form=form, status=409, conflict=theirs,
            conflict_diff=changes, **context,
        )  # fmt: skip
    except services.InvalidContent as problem:
        _show_problems(form, problem)
        return _editor_page(template, article=found, lang=lang, form=form, status=422, **context)
    flash(
        _(
            "Saved as revision %(number)s. Players see it once you publish it.",
            number=revision.number,
        ),
        "success",
    )
    return redirect(url_for(".article", slug=found.slug), 303)


@bp.post("/preview")
@editor_only
def preview():
    """The body as the public page will show it (htmx); the same renderer and sanitizer."""
    found, _cells = _article_or_404(request.form.get("article", "")[:80])
    lang = _lang_or_404(request.form.get("lang", ""))
    body = request.form.get("body", "")
    hits = _glossary_hits(
        lang,
        title=request.form.get("title", ""),
        summary=request.form.get("summary", ""),
        body_md=body,
    )
    html = _preview_of(found, lang, body)
    return varying(
        render_template("editor/_preview.html", preview=html, glossary_hits=hits, text_lang=lang)
    )


@bp.route("/<slug:slug>/<lang>/translate", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own token and keeps the text when it fails
@editor_only
def translate(slug: str, lang: str):
    """The source language on the left, what changed in it marked; the translation on the right."""
    lang = _lang_or_404(lang)
    found, cells = _article_or_404(slug)
    target = cells[lang].revision
    wanted = request.args.get("from") or (target.translated_from if target else None) or "en"
    source_lang = wanted if wanted in LANGUAGES and wanted != lang else None
    source = cells[source_lang].revision if source_lang else None
    if source is None:
        flash(_("There is no text in that language to translate from yet."), "error")
        return redirect(url_for(".article", slug=found.slug))
    context = {"source": source, "changes": queries.source_changes(target, source)}
    if request.method == "GET":
        form = forms.ArticleForm(formdata=None)
        if target is not None:
            _fill(form, target)
            form.base.data = str(target.id)
        form.source.data = str(source.id)
        return _editor_page("editor/translate.html", article=found, lang=lang, form=form, **context)
    form = forms.ArticleForm()
    return _save(found, lang, form, "editor/translate.html", **context)


# --- publishing ---------------------------------------------------------------------------------


@bp.post("/<slug:slug>/<lang>/publish")
@editor_only
def publish(slug: str, lang: str):
    lang = _lang_or_404(lang)
    found, _cells = _article_or_404(slug)
    try:
        with unit_of_work():
            services.publish(article=found, lang=lang, author=current_user.email)
            _audit("article_publish", f"{found.slug}/{lang}")
    except services.InvalidContent as problem:
        for messages in problem.problems.values():
            for message in messages:
                flash(message, "error")
        return redirect(url_for(".article", slug=found.slug), 303)
    flash(_("Published: players see it now, and search finds it within a few seconds."), "success")
    return redirect(url_for(".article", slug=found.slug), 303)


@bp.post("/<slug:slug>/unpublish")
@editor_only
def unpublish(slug: str):
    found, _cells = _article_or_404(slug)
    with unit_of_work():
        services.unpublish(article=found, author=current_user.email)
        _audit("article_unpublish", found.slug)
    flash(_("The article is off the site. Its texts and history are kept."), "success")
    return redirect(url_for(".article", slug=found.slug), 303)


# --- history -------------------------------------------------------------------------------------


def _number(name: str) -> int | None:
    return bounded_int(request.args.get(name), high=99_999_999)


@bp.get("/<slug:slug>/<lang>/history")
@editor_only
def history(slug: str, lang: str):
    lang = _lang_or_404(lang)
    found, cells = _article_or_404(slug)
    revisions = queries.history(found.id, lang)
    by_number = {r.number: r for r in revisions}
    older, newer = by_number.get(_number("a") or 0), by_number.get(_number("b") or 0)
    if revisions and (older is None or newer is None):
        newer = revisions[0]
        older = revisions[1] if len(revisions) > 1 else revisions[0]
    comparison = None
    # One revision (or the same twice) has nothing to compare with: it is shown as it is.
    if older is not None and newer is not None and older.number != newer.number:
        comparison = {
            "title": diff.diff(older.title, newer.title),
            "summary": diff.diff(older.summary, newer.summary),
            "tags": diff.diff(", ".join(older.tags), ", ".join(newer.tags)),
            "body": diff.diff(older.body_md, newer.body_md),
        }
    return render_template(
        "editor/history.html",
        article=found,
        text_lang=lang,
        revisions=revisions,
        older=older,
        newer=newer,
        comparison=comparison,
        cell=cells[lang],
    )


@bp.post("/<slug:slug>/<lang>/restore/<id:number>")
@editor_only
def restore(slug: str, lang: str, number: int):
    lang = _lang_or_404(lang)
    found, _cells = _article_or_404(slug)
    old = queries.revision(found.id, lang, number)
    if old is None:
        abort(404)
    base = request.form.get("base", "")
    try:
        with unit_of_work():
            revision = services.restore(
                article=found,
                lang=lang,
                revision=old,
                base_id=bounded_int(base),
                author=current_user.email,
            )
            _audit(
                "article_restore",
                f"{found.slug}/{lang}",
                f"revision {number} as {revision.number}",
            )
    except services.EditConflict:
        flash(
            _("Someone saved a newer revision in the meantime: look at it before restoring."),
            "error",
        )
        return redirect(url_for(".history", slug=found.slug, lang=lang), 303)
    except services.InvalidContent as problem:
        for messages in problem.problems.values():
            for message in messages:
                flash(message, "error")
        return redirect(url_for(".history", slug=found.slug, lang=lang), 303)
    flash(
        _("Revision %(old)s was saved again as revision %(new)s.", old=number, new=revision.number),
        "success",
    )
    return redirect(url_for(".history", slug=found.slug, lang=lang), 303)


# --- categories ---------------------------------------------------------------------------------


@bp.route("/categories/new", methods=["GET", "POST"])
@editor_only
def new_category():
    return _category_page(None)


@bp.route("/categories/<slug:slug>", methods=["GET", "POST"])
@editor_only
def edit_category(slug: str):
    existing = queries.category(slug)
    if existing is None:
        abort(404)
    return _category_page(existing)


def _category_page(existing):
    form = forms.CategoryForm(formdata=request.form if request.method == "POST" else None)
    if request.method == "GET" and existing is not None:
        form.slug.data = existing.slug
        form.order.data = existing.position
        for lang in LANGUAGES:
            getattr(form, f"title_{lang}").data = existing.titles.get(lang, "")
            getattr(form, f"description_{lang}").data = existing.descriptions.get(lang, "")
    if request.method == "POST" and form.validate():
        if existing is None and not form.slug.data:
            form.slug.errors.append(_("Give the category an address, e.g. bonuses-promotions."))
        else:
            try:
                with unit_of_work():
                    category = services.save_category(
                        slug=form.slug.data if existing is None else existing.slug,
                        position=form.order.data,
                        titles={lang: getattr(form, f"title_{lang}").data for lang in LANGUAGES},
                        descriptions={
                            lang: getattr(form, f"description_{lang}").data or ""
                            for lang in LANGUAGES
                        },
                        existing=existing,
                    )
                    _audit("category_save", category.slug)
            except services.InvalidContent as problem:
                _show_problems(form, problem)
            else:
                flash(_("The category was saved."), "success")
                return redirect(url_for(".overview", category=category.slug), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("editor/category.html", form=form, existing=existing), status
