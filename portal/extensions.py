"""Extensions, created once here and bound to the app in create_app()."""

import logging

from flask.logging import default_handler
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from .models import Base

db = SQLAlchemy(model_class=Base)
# Batch mode lets Alembic alter tables on SQLite; compare_type catches type changes.
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
compress = Compress()
# Flask-Limiter logs on its own logger, which has only a NullHandler: give it Flask's
# handler (stderr), so that falling back to memory when Redis is down shows in the log.
logging.getLogger("flask-limiter").addHandler(default_handler)
