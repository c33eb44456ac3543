"""Extension objects, bound to the app in create_app()."""

from flask_babel import Babel
from flask_htmx import HTMX
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from helpcenter.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True)
babel = Babel()
htmx = HTMX()
csrf = CSRFProtect()
login_manager = LoginManager()
