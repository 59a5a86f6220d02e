"""Flask extensions, created here and bound to the app in ``create_app``."""

from __future__ import annotations

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase, Session

# Named constraints let Alembic alter and drop them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class CatalogSQLAlchemy(SQLAlchemy):
    """Flask-SQLAlchemy, with ``db.session`` typed as the Session it stands for.

    ``db.session`` is a ``scoped_session`` that forwards every call to the
    request's Session; domain functions take a plain ``Session`` so they can be
    called from anywhere, and this lets the edges pass ``db.session`` to them.
    """

    session: Session  # type: ignore[assignment]


db = CatalogSQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
