"""The moderation tests' cast (siena: amina writes, bilal reads, giulia facilitates; belgrade:
milica facilitates; root is an admin), reused for translations."""
from tests.moderation.conftest import audit_rows, cast, client, stored, story_in, web, write_story  # noqa: F401
