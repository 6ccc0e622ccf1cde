"""Follow and unfollow buttons: a CSRF token and where to go back to."""
from flask_wtf import FlaskForm
from wtforms import HiddenField


class FollowForm(FlaskForm):
    next = HiddenField()
