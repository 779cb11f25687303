"""Who can open the staff pages: sign-in required, disabled when unconfigured, and nothing for patients."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from settings import REPO_ROOT
from staff import make_entry

PRIVATE = "a private question another patient asked"
BOTH_PAGES = pytest.mark.parametrize("page", ["reviewer", "maintainer"])
ENABLE = (
    "To enable it, make a sign-in with `python -m staff.access YOUR_NAME reviewer` (or `maintainer`, or "
    "`reviewer+maintainer`) and put the line it prints in the MBC_STAFF_USERS environment variable, or as "
    "MBC_STAFF_USERS in .streamlit/secrets.toml, then restart the app."
)


@pytest.fixture
def private_answer(record_answer) -> int:
    return record_answer(PRIVATE, [], status="refused")


@BOTH_PAGES
def test_without_configured_staff_the_page_is_disabled_and_says_how_to_enable_it(page, pages, private_answer):
    at = pages.ok(pages.open(getattr(pages, page)))
    assert [w.value for w in at.warning] == [
        f"The {page} page is disabled: no staff sign-in with the {page} role is configured. {ENABLE}"
    ]
    assert len(at.text_input) == 0  # no sign-in form to try
    assert PRIVATE not in pages.text(at)


@BOTH_PAGES
def test_the_page_asks_for_a_sign_in_and_shows_nothing_before(page, staff, pages, private_answer):
    at = pages.ok(pages.open(getattr(pages, page)))
    assert [t.label for t in at.text_input] == ["Name", "Password"]
    assert at.text_input(key="sign-in-password").proto.type == at.text_input(key="sign-in-password").proto.PASSWORD
    assert PRIVATE not in pages.text(at)
    assert len(at.metric) == 0 and [b.key for b in at.button] == ["sign-in-submit"]


@pytest.mark.parametrize(
    ("page", "name", "password"),
    [
        ("reviewer", "ann", "wrong password"),
        ("reviewer", "nobody", "ann reviews passages"),
        ("reviewer", "max", None),  # a maintainer only
        ("maintainer", "ann", None),  # a reviewer only
        ("maintainer", "max", ""),
    ],
)
def test_a_wrong_sign_in_is_refused(page, name, password, staff, pages, private_answer):
    at = pages.ok(pages.sign_in(pages.open(getattr(pages, page)), name, password))
    assert [e.value for e in at.error] == [f"That name and password do not open the {page} page."]
    assert PRIVATE not in pages.text(at)
    assert "sign-in-name" in [t.key for t in at.text_input]


@pytest.mark.parametrize(("page", "name"), [("reviewer", "ann"), ("reviewer", "kim"), ("maintainer", "kim")])
def test_the_right_sign_in_opens_the_page(page, name, staff, pages, private_answer):
    at = pages.open_signed_in(getattr(pages, page), name)
    assert f"Signed in as **{name}**" in [m.value for m in at.sidebar.markdown]
    # The sidebar links the staff pages this person may open, and the patient page.
    links = {"ann": ["Reviewer", "Patient chat"], "kim": ["Reviewer", "Maintainer", "Patient chat"]}[name]
    assert [link.value for link in at.sidebar.page_link] == links
    if page == "reviewer":
        assert PRIVATE in [t.value for t in at.text]
    else:
        assert "No index has been built" in pages.text(at)


def test_signing_out_hides_the_page_again(staff, pages, private_answer):
    at = pages.open_signed_in(pages.reviewer, "ann")
    at.button(key="sign-out").click().run()
    assert PRIVATE not in pages.text(at)
    assert [t.label for t in at.text_input] == ["Name", "Password"]


def test_sign_in_can_come_from_streamlit_secrets(pages, private_answer, staff_users_value):
    at = pages.open(pages.reviewer, secrets={"MBC_STAFF_USERS": staff_users_value})
    assert [t.label for t in at.text_input] == ["Name", "Password"]
    at = pages.ok(pages.sign_in(at, "ann"))
    assert PRIVATE in [t.value for t in at.text]


def test_a_removed_account_is_signed_out_at_once(staff, pages, private_answer, monkeypatch):
    at = pages.open_signed_in(pages.reviewer, "ann")
    monkeypatch.setenv("MBC_STAFF_USERS", make_entry("zoe", "reviewer", "zoe's password"))
    at.run()
    assert PRIVATE not in pages.text(at)
    assert [t.label for t in at.text_input] == ["Name", "Password"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "ann:reviewer:secret",
            "MBC_STAFF_USERS entry 1 (ann) has no scrypt hash; make one with: python -m staff.access",
        ),
        ("ann:nurse:scrypt$1$2$3$4$5", "MBC_STAFF_USERS entry 1 (ann) has roles 'nurse'; use reviewer or maintainer"),
        ("just-a-name", "MBC_STAFF_USERS entry 1 is not name:roles:hash."),
    ],
)
def test_wrong_sign_in_settings_disable_the_page_with_one_calm_sentence(value, message, pages, monkeypatch):
    monkeypatch.setenv("MBC_STAFF_USERS", value)
    at = pages.ok(pages.open(pages.reviewer))
    (error,) = at.error
    assert error.value.startswith("The reviewer page is disabled because its sign-in settings are wrong: " + message)
    assert value.split(":")[-1] not in error.value  # the message never repeats the hash part
    assert len(at.text_input) == 0


@pytest.mark.slow
def test_patients_cannot_reach_audit_data_from_the_chat_page(staff, use_built_index, pages, private_answer):
    chat = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=180)
    chat.secrets["tests"] = "isolated from local secrets"
    chat.run()
    pages.ok(chat)
    assert PRIVATE not in pages.text(chat)
    # The staff pages are not in the navigation, but anyone can type their address: a sign-in, nothing else.
    for page in ("pages/1_Reviewer.py", "pages/2_Maintainer.py"):
        chat.switch_page(page).run()
        pages.ok(chat)
        assert [t.label for t in chat.text_input] == ["Name", "Password"]
        assert PRIVATE not in pages.text(chat)
        assert not chat.metric and not chat.dataframe


# Defect 10: the lockout lived in the browser session; after 5 failures a reload reset it.
LOCKED = "Too many wrong sign-ins for this name or from this computer. Try again in 15 minute(s)."


def test_wrong_sign_ins_lock_the_account_on_the_server_so_a_reload_does_not_help(staff, pages, private_answer):
    at = pages.open(pages.reviewer)
    for _ in range(5):
        at = pages.sign_in(at, "ann", "a guess at it")
        assert [e.value for e in at.error] == ["That name and password do not open the reviewer page."]
    at = pages.ok(pages.sign_in(at, "ann"))  # even the right password waits now
    assert [e.value for e in at.error] == [LOCKED]
    reloaded = pages.ok(pages.sign_in(pages.open(pages.reviewer), "ann"))  # a new session, the right password
    assert [e.value for e in reloaded.error] == [LOCKED]
    assert PRIVATE not in pages.text(reloaded)
    other = pages.ok(pages.sign_in(pages.open(pages.reviewer), "kim"))  # another account is not locked
    assert PRIVATE in [t.value for t in other.text]


def test_an_idle_session_is_signed_out(staff, pages, private_answer):
    import time

    at = pages.open_signed_in(pages.reviewer, "ann")
    assert PRIVATE in [t.value for t in at.text]
    at.session_state["staff_last_seen"] = time.time() - 31 * 60
    at.run()
    assert "You were signed out after 30 minutes without activity. Sign in again." in [i.value for i in at.info]
    assert PRIVATE not in pages.text(at)
    assert [t.label for t in at.text_input] == ["Name", "Password"]


def test_a_weak_stored_entry_disables_the_page_with_its_reason(pages, monkeypatch):
    from staff.access import _b64

    monkeypatch.setenv("MBC_STAFF_USERS", f"ann:reviewer:scrypt$16384$8$1${_b64(b's' * 16)}${_b64(b'k' * 32)}")
    at = pages.ok(pages.open(pages.reviewer))
    (error,) = at.error
    assert "entry 1 (ann) uses scrypt N=16384, r=8, p=1, weaker than the minimum N=131072" in error.value
    assert len(at.text_input) == 0


def test_sign_ins_failures_and_lockouts_are_in_the_staff_log_the_maintainer_reads(staff, pages, private_answer):
    at = pages.open(pages.reviewer)
    for _ in range(5):
        at = pages.sign_in(at, "ann", "a guess at it")
    pages.sign_in(at, "ann")
    maintainer = pages.open_signed_in(pages.maintainer, "kim")
    table = next(frame.value for frame in maintainer.dataframe if "action" in frame.value.columns)
    assert list(table.columns) == ["when", "who", "action", "detail", "from"]
    assert list(table["action"])[:4] == ["sign-in", "sign-in refused: locked out", "lockout", "sign-in failed"]
    assert list(table["who"])[:2] == ["kim", "ann"]
    assert list(table["action"]).count("sign-in failed") == 5
