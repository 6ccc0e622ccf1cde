import pytest
from flask import g


@pytest.fixture(autouse=True)
def _fresh_g_per_request(request):
    """The ``app`` fixture keeps one app context open for the whole test, and Flask 3.1 then
    reuses it (and its ``g``) for every test-client request: ``api_requester`` would remember
    the first caller. Real requests each get their own ``g``; so do ours."""
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")

    @app.before_request
    def _forget_requester():
        g.pop("api_requester", None)
        g.pop("auth_kind", None)
        g.pop("csrf_token", None)
        g.pop("csrf_valid", None)
