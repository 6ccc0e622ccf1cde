"""Communities and roles, administered by admins only, through plain HTML forms."""
import pytest
from sqlalchemy import select

from kultialogo import policy
from kultialogo.accounts.models import Membership
from kultialogo.admin import service as admin
from kultialogo.communities.models import Community
from kultialogo.errors import Problem
from kultialogo.extensions import db
from tests import factories as f

from .conftest import audit_rows, write_story


def community(slug) -> Community:
    db.session.rollback()
    return db.session.scalar(select(Community).where(Community.slug == slug))


def role_of(username, slug):
    db.session.rollback()
    from kultialogo.accounts.models import Account
    account = db.session.scalar(select(Account).where(Account.username == username))
    return account.role_in(community(slug).id)


def _form(page: str, **values) -> dict:
    data = {"csrf_token": f.csrf_from(page)}
    data.update(values)
    return data


def test_an_admin_creates_a_community_with_names_in_several_languages(web):
    browser = web("admin")
    page = browser.get("/admin/communities/new").get_data(as_text=True)
    assert 'name="names-0-language" ' in page or 'name="names-0-language"' in page
    response = browser.post("/admin/communities/new", data=_form(
        page, slug="utrecht", **{"names-0-language": "en", "names-0-name": "Utrecht",
                                 "names-1-language": "it", "names-1-name": "Utrecht",
                                 "names-2-language": "ar", "names-2-name": "أوترخت",
                                 "names-3-language": "NL", "names-3-name": "Utrecht (stad)",
                                 "names-4-language": "sr-latn", "names-4-name": "Utreht",
                                 "names-5-language": "", "names-5-name": ""},
        description="Storytelling circle.", default_language="nl", moderation="trusted", reports_to_hide="2"))
    assert response.status_code == 302 and response.headers["Location"] == "/admin/communities/utrecht/members"
    made = community("utrecht")
    assert made.names == {"en": "Utrecht", "it": "Utrecht", "ar": "أوترخت", "nl": "Utrecht (stad)", "sr-Latn": "Utreht"}
    assert (made.description, made.default_language, made.moderation, made.reports_to_hide) == \
        ("Storytelling circle.", "nl", "trusted", 2)
    [event] = audit_rows(action="community.create")
    assert event.community_id == made.id and "Utrecht" not in repr(event.detail)
    # The admin page lists it, and readers see its name in their language.
    assert "أوترخت" in web(None).get("/api/v1/communities?lang=ar").get_data(as_text=True)
    # Names are kept under BCP 47 tags and found from the interface's catalog codes too.
    assert made.name_for("sr_Latn") == "Utreht" and made.name_for("sr_Cyrl") == "Utreht"
    assert made.name_for("fa") == "Utrecht (stad)"  # nothing in Persian: the main language's name


@pytest.mark.parametrize("values,code", [
    ({"slug": "Bad Slug!"}, "bad_slug"),
    ({"slug": "siena"}, "slug_taken"),
    ({"names-0-name": ""}, "name_required"),
    ({"names-0-language": "zz-not-a-tag"}, "bad_language"),
    ({"default_language": "klingon-ish"}, "bad_language"),
])
def test_a_community_form_with_a_mistake_says_what_is_wrong(app, web, values, code):
    browser = web("admin")
    page = browser.get("/admin/communities/new").get_data(as_text=True)
    data = {"slug": "camp", "names-0-language": "en", "names-0-name": "Camp", "default_language": "en",
            "moderation": "review"}
    data.update(values)
    response = browser.post("/admin/communities/new", data=_form(page, **data))
    assert response.status_code in (400, 409)
    with app.test_request_context():
        words = Problem(code, max=100).message[:30]
    assert words in response.get_data(as_text=True)
    assert community("camp") is None


def test_an_admin_changes_the_moderation_setting_and_it_applies_to_the_next_story(web, cast):
    browser = web("admin")
    page = browser.get("/admin/communities/siena").get_data(as_text=True)
    assert 'value="Siena"' in page
    response = browser.post("/admin/communities/siena", data=_form(
        page, **{"names-0-language": "en", "names-0-name": "Siena"}, description="", default_language="it",
        moderation="trusted", reports_to_hide=""))
    assert response.status_code == 302
    siena = community("siena")
    assert siena.moderation == "trusted" and siena.default_language == "it" and siena.reports_to_hide is None
    [event] = audit_rows(action="community.update")
    assert set(event.detail["changed"]) == {"default_language", "moderation"} and event.detail["moderation"] == "trusted"
    # A participant's next story is published directly; the policy says so too.
    assert policy.publishes_directly(cast["author"].account, siena)
    story_id = write_story(cast["author"].account)
    from kultialogo.stories.models import Story
    assert db.session.get(Story, story_id).status == "published"


def test_an_admin_makes_a_participant_facilitator_and_back(web, cast):
    browser = web("admin")
    page = browser.get("/admin/communities/siena/members").get_data(as_text=True)
    bilal = cast["other_participant"]
    url = f"/admin/communities/siena/members/{bilal.id}/role"
    assert f'action="{url}"' in page
    assert browser.post(url, data=_form(page, role="facilitator")).status_code == 302
    assert role_of("bilal", "siena") == "facilitator"
    assert web("other_participant").get("/review").status_code == 200  # the new facilitator reviews
    assert browser.post(url, data=_form(page, role="participant")).status_code == 302
    assert role_of("bilal", "siena") == "participant"
    assert [(e.detail["subject"], e.detail["from"], e.detail["to"], e.actor_id) for e in audit_rows(action="membership.role")] == \
        [(bilal.id, "participant", "facilitator", cast["admin"].id), (bilal.id, "facilitator", "participant", cast["admin"].id)]
    assert browser.post(url, data=_form(page, role="admin")).status_code == 400
    assert role_of("bilal", "siena") == "participant"


def test_an_admin_adds_an_existing_account_to_a_community(web, cast):
    browser = web("admin")
    page = browser.get("/admin/communities/belgrade/members").get_data(as_text=True)
    response = browser.post("/admin/communities/belgrade/members", data=_form(page, username="Amina", role="participant"))
    assert response.status_code == 302
    assert role_of("amina", "belgrade") == "participant"
    [event] = audit_rows(action="membership.add")
    assert event.detail == {"subject": cast["author"].id, "role": "participant"}
    again = browser.post("/admin/communities/belgrade/members", data=_form(page, username="amina", role="facilitator"))
    assert again.status_code == 302
    assert "already a member" in browser.get("/admin/communities/belgrade/members").get_data(as_text=True)
    assert role_of("amina", "belgrade") == "participant"
    nobody = browser.post("/admin/communities/belgrade/members", data=_form(page, username="nobody", role="participant"))
    assert nobody.status_code == 302
    assert "no account with this username" in browser.get("/admin/communities/belgrade/members").get_data(as_text=True)


@pytest.mark.parametrize("role", ["facilitator", "other_facilitator", "other_participant", "author"])
def test_nobody_but_an_admin_may_change_roles_or_communities(web, cast, role):
    browser = web(role)
    token = browser.csrf("/")
    target = cast["other_participant"].id
    for path in ("/admin/", "/admin/communities/siena", "/admin/communities/siena/members", "/admin/communities/new"):
        assert browser.get(path).status_code == 403, path
    assert browser.post(f"/admin/communities/siena/members/{target}/role",
                        data={"csrf_token": token, "role": "facilitator"}).status_code == 403
    assert browser.post("/admin/communities/siena/members",
                        data={"csrf_token": token, "username": "milica", "role": "facilitator"}).status_code == 403
    assert role_of("bilal", "siena") == "participant"
    assert audit_rows(action="membership.role") == [] and audit_rows(action="membership.add") == []
    # The policy and the service refuse too, not only the pages.
    assert not policy.can_change_roles(cast[role].account, community("siena").id)
    with pytest.raises(Problem) as refused:
        admin.set_role(cast[role].account, community("siena"), target, "facilitator")
    assert refused.value.status == 403


def test_a_facilitator_cannot_promote_themselves_through_the_service(cast):
    giulia = cast["facilitator"].account
    with pytest.raises(Problem):
        admin.add_member(giulia, community("belgrade"), "giulia", "facilitator")
    db.session.rollback()
    assert db.session.scalar(select(Membership).where(Membership.account_id == giulia.id,
                                                      Membership.community_id == community("belgrade").id)) is None


def test_admin_nav_link_only_for_admins(web):
    assert 'href="/admin/"' in web("admin").get("/").get_data(as_text=True)
    assert 'href="/admin/"' not in web("facilitator").get("/").get_data(as_text=True)
    assert 'href="/review/reports"' in web("facilitator").get("/").get_data(as_text=True)
    assert 'href="/review/reports"' not in web("author").get("/").get_data(as_text=True)
