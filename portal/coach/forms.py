"""Forms of the coach area."""

from babel.support import LazyProxy
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Length, ValidationError

from ..domain.grading import MAX_FEEDBACK_CHARS, GradeError, feedback_too_long, parse_score
from ..domain.language import lazy_gettext as _l


class GradeForm(FlaskForm):
    """A grade for one submission; its prefix (``s<submission id>``) keeps ids unique
    when several cells of the grid are open at once.

    ``max_score`` is set before validation; ``score_value`` holds the parsed score.
    """

    score = StringField(_l("Score"), render_kw={"inputmode": "decimal", "autocomplete": "off",
                                                "size": 6})
    feedback = TextAreaField(
        _l("Feedback (optional)"),
        # Read when shown, in the reader's language, with the number written in it.
        validators=[Length(max=MAX_FEEDBACK_CHARS,
                           message=LazyProxy(feedback_too_long, enable_cache=False))],
        render_kw={"rows": 4},
    )

    max_score: int = 100
    score_value = None

    def validate_score(self, field):
        try:
            self.score_value = parse_score(field.data, self.max_score)
        except GradeError as error:
            raise ValidationError(error.message) from None
