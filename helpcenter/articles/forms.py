"""Forms of the knowledge base pages."""

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import AnyOf, InputRequired


class VoteForm(FlaskForm):
    """ "Was this helpful?": two submit buttons named `helpful` with values yes and no."""

    helpful = StringField(validators=[InputRequired(), AnyOf(["yes", "no"])])
