"""The moderation tests' cast (siena: amina writes, bilal reads, giulia facilitates; belgrade:
milica facilitates; root is an admin), reused for follows and activity."""
from tests.moderation.conftest import cast, client, web  # noqa: F401
