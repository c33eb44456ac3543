"""Extension objects, bound to the app in create_app()."""

from flask_babel import Babel
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from helpcenter.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True)
babel = Babel()
htmx = HTMX()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
