"""catalog: a self-hosted podcast and episode catalog."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Request, Response, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from werkzeug.middleware.proxy_fix import ProxyFix

from catalog.config import SOURCE_ROOT, default_config, instance_secret_key, validate_config

PACKAGE_ROOT = Path(__file__).resolve().parent
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Files that are the same for everyone, so CDNs may share them.
SESSIONLESS_ENDPOINTS = frozenset(
    {"public.show_feed", "public.episode_chapters", "public.episode_transcript", "public.media"}
)


class PublicFileSessionInterface(SecureCookieSessionInterface):
    """Leave feeds and media without ``Vary: Cookie`` unless they changed the session.

    Flask-Login reads the session after every request, which would add the
    header to every response and make shared caches keep one copy per visitor.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """Skip building the signer when there is no cookie to verify, as for every podcast app."""
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if request.endpoint in SESSIONLESS_ENDPOINTS and not session.modified:
            return
        super().save_session(app, session, response)


def bundled_folder(name: str) -> Path:
    """Return a top-level folder of the checkout, or its copy inside an installed wheel."""
    in_checkout = SOURCE_ROOT / name
    return in_checkout if in_checkout.is_dir() else PACKAGE_ROOT / name


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application; ``config`` overrides defaults and the environment."""
    app = Flask(
        __name__,
        template_folder=str(bundled_folder("templates")),
        instance_relative_config=True,
    )
    app.config.update(default_config(Path(app.instance_path)))
    if config:
        app.config.update(config)
    validate_config(app.config)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    app.session_interface = PublicFileSessionInterface()
    if app.config["CATALOG_TRUSTED_PROXIES"]:
        # Listener IPs (download counting, login throttling) come from the proxy's header.
        proxies = int(app.config["CATALOG_TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
    _init_extensions(app)
    _register_blueprints(app)
    _register_error_pages(app)

    from catalog.formatting import register_filters
    from catalog.links import register_link_builders

    register_filters(app)
    register_link_builders(app)

    from catalog.cli import register_commands

    register_commands(app)
    return app


def _init_extensions(app: Flask) -> None:
    from catalog import models  # noqa: F401  (register the tables)
    from catalog.accounts import user_for_session
    from catalog.database import set_write_intent, tune_sqlite
    from catalog.extensions import csrf, db, login_manager, migrate

    # A server can drop pooled connections (restarts, idle timeouts); a SQLite file cannot,
    # and a ping before every checkout would double the cost of the feed's one query.
    is_server = not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    app.config["SQLALCHEMY_ENGINE_OPTIONS"].setdefault("pool_pre_ping", is_server)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(bundled_folder("migrations")), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            tune_sqlite(db.engine, app.config["CATALOG_SQLITE_BUSY_TIMEOUT_MS"])

    @login_manager.user_loader
    def _load_user(session_id: str) -> models.User | None:
        return user_for_session(db.session, session_id)

    @app.before_request
    def _mark_writes() -> None:
        # Requests that change things take SQLite's write lock when they begin.
        set_write_intent(request.method not in SAFE_METHODS)

    @app.teardown_request
    def _unmark_writes(_error: BaseException | None) -> None:
        set_write_intent(False)


def _register_blueprints(app: Flask) -> None:
    from catalog.public import bp as public_bp

    app.register_blueprint(public_bp)

    from catalog.studio import bp as studio_bp

    app.register_blueprint(studio_bp)

    from catalog.api import init_api

    init_api(app)


def _register_error_pages(app: Flask) -> None:
    from catalog.public.errors import register_error_pages

    register_error_pages(app)
