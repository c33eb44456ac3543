"""Player help center: create_app() wires configuration, extensions, blueprints and CLI."""

import logging

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from helpcenter import cache, config, ratelimit
from helpcenter.extensions import babel, csrf, db, htmx, login_manager, migrate
from helpcenter.i18n import select_locale


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, static_folder=None)
    app.config.from_object(config.Config)
    if test_config is None:
        app.config.from_prefixed_env("HELPCENTER")
    else:
        app.config.from_object(config.TestConfig)
        app.config.update(test_config)
    config.finalize(app.config)
    if app.config["PROXY_FIX_X_FOR"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=int(app.config["PROXY_FIX_X_FOR"]), x_proto=1)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    db.init_app(app)
    migrate.init_app(app, db, directory=str(config.PROJECT_ROOT / "helpcenter" / "migrations"))
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    htmx.init_app(app)
    login_manager.init_app(app)
    ratelimit.init_app(app)
    cache.init_app(app)
    app.jinja_env.policies["ext.i18n.trimmed"] = True

    from helpcenter import web
    from helpcenter.articles import cli as articles_cli
    from helpcenter.articles import views as articles_views
    from helpcenter.chat import api as chat_api
    from helpcenter.chat import polling as chat_polling
    from helpcenter.chat import staff_views as chat_staff_views
    from helpcenter.chat import views as chat_views
    from helpcenter.contact import api as contact_api
    from helpcenter.contact import views as contact_views
    from helpcenter.editor import views as editor_views
    from helpcenter.players import cli as players_cli
    from helpcenter.players import views as players_views
    from helpcenter.privacy import cli as privacy_cli
    from helpcenter.privacy import views as privacy_views
    from helpcenter.search import cli as search_cli
    from helpcenter.search import views as search_views
    from helpcenter.staff import auth as staff_auth
    from helpcenter.staff import cli as staff_cli
    from helpcenter.staff import report_views as staff_reports
    from helpcenter.staff import views as staff_views
    from helpcenter.tickets import cli as tickets_cli
    from helpcenter.tickets import views as tickets_views
    from helpcenter.worker import worker

    web.init_app(app)
    app.register_blueprint(web.bp)
    app.register_blueprint(articles_views.bp)
    app.register_blueprint(search_views.bp)
    app.register_blueprint(tickets_views.bp)
    app.register_blueprint(contact_views.bp)
    app.register_blueprint(contact_api.bp)
    app.register_blueprint(chat_views.bp)
    app.register_blueprint(chat_api.bp)
    app.register_blueprint(players_views.bp)
    staff_auth.init_app(app)
    app.register_blueprint(staff_views.bp)
    app.register_blueprint(staff_reports.bp)
    app.register_blueprint(chat_staff_views.bp)
    app.register_blueprint(editor_views.bp)
    app.register_blueprint(privacy_views.bp)
    app.cli.add_command(articles_cli.content)
    app.cli.add_command(search_cli.search)
    app.cli.add_command(tickets_cli.sla)
    app.cli.add_command(tickets_cli.outbox)
    app.cli.add_command(tickets_cli.api_key)
    app.cli.add_command(tickets_cli.files)
    app.cli.add_command(staff_cli.staff)
    app.cli.add_command(worker)
    app.cli.add_command(privacy_cli.privacy)
    app.cli.add_command(players_cli.sso)
    # Last, so that it is the outermost layer: an unchanged chat poll never reaches Flask.
    app.wsgi_app = chat_polling.FastPolls(app.wsgi_app, app)  # type: ignore[method-assign]
    return app
