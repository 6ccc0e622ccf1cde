import pytest
from flask.testing import FlaskClient


class PageClient(FlaskClient):
    """Each request in its own application context, as in a real server.

    The ``app`` fixture keeps one app context open for the whole test, and Flask reuses it for
    every test-client request, so ``g`` would carry the CSRF token, Flask-Login's user and
    Flask-Babel's locale from one request (and one client) to the next.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(autouse=True)
def _fresh_context_per_request(app):
    app.test_client_class = PageClient
