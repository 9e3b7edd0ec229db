"""Saved results belong to whoever saved them: only the owner or an admin deletes, deletion is undoable for a
period, and changing what the team shares needs a signed-in user when sign-in is configured.

Page tests inject the identity in header mode through ui.identity.request_headers: AppTest cannot send request
headers (st.context.headers comes from the browser's connection). The OpenID Connect path runs as it does on a
server, through AppTest's own `user` and `secrets`.
"""

import json
import time

import pytest
from apptest import APP, open_app
from streamlit.testing.v1 import AppTest

from scaling_core.app.views.saved import results_table
from scaling_core.core import paths
from scaling_core.core.errors import ConfigError
from scaling_core.storage.identity import LOCAL, Identity, NotAllowed, identity_settings
from ui import identity as ui_identity
from ui import lab_jobs

ANA = Identity("ana@example.com", "header")
BO = Identity("bo@example.com", "header")
ADMIN = Identity("cy@example.com", "header", is_admin=True)
HEADER = "X-Forwarded-User"
SHIPPED = json.loads((paths.DATA_DIR / "identity" / "settings.json").read_text())


def use_identity_settings(tmp_path, monkeypatch, **changes) -> None:
    """Point the data directory at a copy whose identity/settings.json has these changes (the rest linked)."""
    data = tmp_path / "data"
    data.mkdir()
    for child in paths.DATA_DIR.iterdir():
        if child.name != "identity":
            (data / child.name).symlink_to(child)
    (data / "identity").mkdir()
    (data / "identity" / "settings.json").write_text(json.dumps({**SHIPPED, **changes}))
    monkeypatch.setattr(paths, "DATA_DIR", data)
    identity_settings.cache_clear()


@pytest.fixture(autouse=True)
def fresh_settings():
    """Each test reads the identity settings it set up; the shipped ones come back after it."""
    identity_settings.cache_clear()
    yield
    identity_settings.cache_clear()


@pytest.fixture
def header_mode(tmp_path, monkeypatch):
    """Trust HEADER (cy is an admin); returns a function that makes the next request come from a user."""
    use_identity_settings(tmp_path, monkeypatch, user_header=HEADER, admins=["CY@example.com"])

    def request_from(user: str | None) -> None:
        monkeypatch.setattr(ui_identity, "request_headers", lambda: {HEADER: user} if user else {})

    return request_from


def save(store, name: str, owner: str | None) -> int:
    return store.save_result(name, "label only", "", "explorer", {"phi": "1.0"}, {}, owner=owner)


# The rule, in the store.


def test_the_owner_deletes_and_undoes_and_a_deleted_result_is_hidden(store):
    mine = save(store, "mine", ANA.user)
    assert store.delete_result(mine, by=ANA)
    assert store.list_results() == [] and store.get_result(mine) is None
    assert [r["id"] for r in store.deleted_results(ANA)] == [mine]
    assert not store.delete_result(mine, by=ANA)  # already deleted
    assert store.restore_result(mine, by=ANA)
    assert [r["id"] for r in store.list_results()] == [mine] and store.get_result(mine)["owner"] == ANA.user


def test_another_user_can_neither_delete_nor_restore_but_an_admin_can(store):
    mine = save(store, "mine", ANA.user)
    with pytest.raises(NotAllowed, match="only by its owner ana@example.com or an admin; you are bo@example.com"):
        store.delete_result(mine, by=BO)
    assert [r["id"] for r in store.list_results()] == [mine]
    assert store.delete_result(mine, by=ADMIN)
    assert store.deleted_results(BO) == []  # nothing of bo's to undo
    with pytest.raises(NotAllowed):
        store.restore_result(mine, by=BO)
    assert store.restore_result(mine, by=ADMIN)


def test_results_without_an_owner_are_the_single_users_and_otherwise_an_admins(store):
    old = save(store, "saved without sign-in", None)
    owned = save(store, "saved by ana", ANA.user)
    with pytest.raises(NotAllowed, match="not signed in"):
        store.delete_result(old, by=Identity(None, "oidc"))
    with pytest.raises(NotAllowed):
        store.delete_result(old, by=ANA)
    with pytest.raises(NotAllowed):
        store.delete_result(owned, by=LOCAL)  # an app without sign-in on a team's store
    assert store.delete_result(old, by=LOCAL) and store.delete_result(owned, by=ADMIN)


def test_after_the_undo_period_a_deletion_is_final_and_purged(store):
    gone, kept = save(store, "gone", ANA.user), save(store, "kept", ANA.user)
    store.delete_result(gone, by=ANA)
    time.sleep(0.01)
    assert not store.restore_result(gone, by=ANA, undo_s=0.005)
    assert store.deleted_results(ANA, undo_s=0.005) == []
    assert store.purge_deleted(undo_s=0.005) == 1 and store.purge_deleted(undo_s=0.005) == 0
    assert [r["id"] for r in store.list_results()] == [kept]


def test_only_a_signed_in_user_changes_what_the_team_shares():
    assert LOCAL.may_change_shared and ANA.may_change_shared
    assert not Identity(None, "oidc").may_change_shared and not Identity(None, "header").may_change_shared


# The settings.


def test_the_shipped_settings_trust_no_header_and_keep_deletions_a_day():
    settings = identity_settings()
    assert (settings.user_header, settings.admins, settings.undo_s) == (None, frozenset(), 24 * 3600)


@pytest.mark.parametrize(
    "changes, key",
    [
        ({"undo_hours": 0}, "undo_hours"),
        ({"undo_hours": 1e9}, "undo_hours"),
        ({"undo_hours": "24"}, "undo_hours"),
        ({"user_header": "X-User: injected"}, "user_header"),
        ({"admins": [""]}, "admins[0]"),
        ({"admins": "ana@example.com"}, "admins"),
        ({"admin": []}, "admin"),
    ],
)
def test_bad_identity_settings_name_the_file_and_key(tmp_path, monkeypatch, changes, key):
    use_identity_settings(tmp_path, monkeypatch, **changes)
    with pytest.raises(ConfigError) as error:
        identity_settings()
    assert error.value.parameter == f"data/identity/settings.json: {key}"


# The pages.


def saved_page(result_id: int) -> AppTest:
    at = open_app("app_pages/saved.py", {"result": str(result_id)})
    assert not at.exception, at.exception
    return at


def test_without_configuration_the_saved_page_says_it_runs_for_one_user(store):
    save(store, "mine", None)
    at = saved_page(store.list_results()[0]["id"])
    assert any(c.value.startswith("Single-user mode: no sign-in is configured") for c in at.caption)
    assert not at.button(key="delete").disabled


def test_a_second_user_cannot_delete_the_first_users_result_on_the_page(store, header_mode):
    header_mode(ANA.user)
    mine = save(store, "ana's", ANA.user)
    header_mode(BO.user)
    at = saved_page(mine)
    assert any("You are bo@example.com (named by the proxy)" in c.value for c in at.caption)
    assert at.button(key="delete").disabled
    assert any(f"Only its owner ana@example.com or an admin can delete #{mine}." in m.value for m in at.markdown)
    assert [r["id"] for r in store.list_results()] == [mine]

    header_mode(ANA.user)
    at = saved_page(mine)
    at.button(key="delete").click().run()
    assert not at.exception and store.list_results() == []
    at.button(key=f"undo_{mine}").click().run()  # the page offers the undo
    assert not at.exception and [r["id"] for r in store.list_results()] == [mine]


def test_a_header_named_admin_deletes_anyones_result(store, header_mode):
    mine = save(store, "ana's", ANA.user)
    header_mode("cy@example.com")
    at = saved_page(mine)
    assert any("(named by the proxy, admin)" in c.value for c in at.caption)
    at.button(key="delete").click().run()
    assert not at.exception and store.list_results() == []


def test_with_openid_connect_the_signed_in_user_deletes_their_own_result(store):
    # OpenID Connect as a server runs it: an [auth] section in the secrets, st.user from the provider.
    mine = save(store, "ana's", ANA.user)
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "not used"}
    at.user = {"is_logged_in": False}
    at.query_params["result"] = str(mine)
    at.run()
    at.switch_page("app_pages/saved.py").run()
    assert not at.exception
    assert any(c.value.startswith("Not signed in") for c in at.caption) and at.button(key="delete").disabled
    assert [b.key for b in at.button if b.key in ("sign_in", "sign_out")] == ["sign_in"]

    at.user = {"is_logged_in": True, "email": "Ana@Example.com", "sub": "1234"}
    at.run()
    assert any("You are ana@example.com (signed in)." in c.value for c in at.caption)
    assert [b.key for b in at.button if b.key in ("sign_in", "sign_out")] == ["sign_out"]
    at.button(key="delete").click().run()
    assert not at.exception and store.list_results() == []


def test_without_sign_in_no_training_starts():
    with pytest.raises(NotAllowed, match="start training"):
        lab_jobs.start(("digits", "anonymous"), "digits", ["width"], [0.0], 1, "sqlite://", Identity(None, "oidc"))
    assert lab_jobs.job(("digits", "anonymous")) is None


@pytest.mark.slow  # the Lab and Hardware pages import torch: about 15 s each on a two-core machine
def test_without_sign_in_the_pages_say_why_training_and_fitting_are_disabled(store, header_mode):
    header_mode(None)
    at = open_app("app_pages/lab.py")
    assert not at.exception and at.button(key="lab_start").disabled
    assert any(i.value.startswith("Sign in to start a training") for i in at.info)
    at.switch_page("app_pages/hardware.py").run()
    assert not at.exception and at.button(key="fit").disabled and at.button(key="fit_quick").disabled
    assert any(i.value.startswith("Sign in to fit (and so replace) this machine's shared") for i in at.info)
    header_mode(ANA.user)
    at.run()
    assert not at.button(key="fit").disabled


def test_the_list_names_each_results_owner_once_anyone_signed_in():
    row = {"name": "r", "author": "ana", "page": "explorer", "created_at": 0.0, "payload": {}}
    alone = results_table([{**row, "id": 1, "owner": None}])
    assert "owner" not in alone.columns  # single-user mode: nobody owns anything
    team = results_table([{**row, "id": 2, "owner": "bob@example.org"}, {**row, "id": 1, "owner": None}])
    assert team["owner"].tolist() == ["bob@example.org", "—"]
