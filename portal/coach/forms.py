"""Forms of the coach area."""

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Length, ValidationError

from ..domain.grading import MAX_FEEDBACK_CHARS, GradeError, parse_score


class GradeForm(FlaskForm):
    """A grade for one submission; its prefix (``s<submission id>``) keeps ids unique
    when several cells of the grid are open at once.

    ``max_score`` is set before validation; ``score_value`` holds the parsed score.
    """

    score = StringField("Score", render_kw={"inputmode": "decimal", "autocomplete": "off",
                                            "size": 6})
    feedback = TextAreaField(
        "Feedback (optional)",
        validators=[Length(max=MAX_FEEDBACK_CHARS,
                           message=f"Write at most {MAX_FEEDBACK_CHARS:,} characters.")],
        render_kw={"rows": 4},
    )

    max_score: int = 100
    score_value = None

    def validate_score(self, field):
        try:
            self.score_value = parse_score(field.data, self.max_score)
        except GradeError as error:
            raise ValidationError(error.message) from None
