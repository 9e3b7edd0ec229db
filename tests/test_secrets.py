"""The store's password never leaves the server: not in page text, errors, log lines or any CLI command's output.

Each check runs with an unreachable password-bearing URL (every path that reports a store it cannot open) and,
where SCALING_LAB_TEST_POSTGRES_URL names a PostgreSQL server (.ci/run starts one), with a password-protected
role the test creates on it (every path that reports a store it uses). .ci/run's server trusts loopback
connections, so any password logs in: enough here, where the point is where the password is shown.
"""

import json
import logging
from types import SimpleNamespace

import pytest
from apptest import open_app
from sqlalchemy.engine import make_url
from store_helpers import fresh_database

from scaling_core.cli.main import main
from scaling_core.storage.store import STORE_URL_ENV, Store, scrubbed, shown_url
from ui.pages import PAGES

PASSWORD = "S3cretPW"
UNREACHABLE = f"postgresql+psycopg://alice:{PASSWORD}@127.0.0.1:1/lab"
# The pages that open the store as they load (the others only when a result is saved from the sidebar).
STORE_PAGE_KEYS = ("pareto", "lab", "robustness", "deployment", "representation", "hardware", "saved")
# Every command that opens the store, with arguments that get it there quickly (an unreachable store stops it).
STORE_COMMANDS = [
    ["bench", "--preset", "b0"],
    ["fit-latency"],
    ["optimize"],
    ["lab", "run"],
    ["lab", "report"],
    ["robustness"],
    ["cover"],
    ["fewshot"],
    ["distill"],
    ["drone"],
    ["thermal"],
    ["quantize"],
]


def visible_text(at) -> str:
    """Everything the app sends to the browser in this run: every element of the page and the sidebar."""
    texts = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            texts.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    walk(at.sidebar)
    return "\n".join(texts)


def assert_no_password(*texts: str) -> None:
    for text in texts:
        assert PASSWORD not in text, text[text.index(PASSWORD) - 200 : text.index(PASSWORD) + 50]


@pytest.fixture
def password_role():
    """A PostgreSQL database owned by a new role that logs in with PASSWORD; its URL (both dropped after)."""
    with fresh_database("scaling_lab_secret", PASSWORD) as url:
        yield url


# The one function that shows a URL.


@pytest.mark.parametrize(
    "url, shown, secret",
    [
        (UNREACHABLE, "postgresql+psycopg://alice:***@127.0.0.1:1/lab", PASSWORD),
        (f"postgresql://alice:p@{PASSWORD}@db/lab", "postgresql://alice:***@db/lab", f"p@{PASSWORD}"),  # unescaped @
        (f"postgresql://alice:p%40{PASSWORD}@db/lab", "postgresql://alice:***@db/lab", f"p@{PASSWORD}"),
        (
            f"postgresql://alice@db/lab?password={PASSWORD}&sslmode=require",
            "postgresql://alice@db/lab?password=***&sslmode=require",
            PASSWORD,
        ),
        ("sqlite:///store.sqlite", "sqlite:///store.sqlite", None),
        (f"not a url {PASSWORD}", "<not a URL>", None),
    ],
)
def test_a_url_is_shown_without_its_secrets(url, shown, secret):
    assert shown_url(url) == shown
    if secret:  # and a driver's message that quotes the URL or the password loses them too
        message = scrubbed(f"could not open {url} with password {secret}", url)
        assert message == f"could not open {shown} with password ***"


def test_an_unreachable_store_is_reported_without_its_password(caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ValueError) as error:
        Store(UNREACHABLE)
    assert_no_password(str(error.value), caplog.text)


# The command line.


@pytest.mark.parametrize("command", STORE_COMMANDS, ids=[" ".join(c) for c in STORE_COMMANDS])
def test_every_store_command_names_an_unreachable_store_without_its_password(command, capsys, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    assert main([*command, "--store", UNREACHABLE]) == 2
    monkeypatch.setenv(STORE_URL_ENV, UNREACHABLE)  # the server's way of naming it
    assert main(command) == 2
    out, err = capsys.readouterr()
    assert err.count("alice:***@") == 2
    assert_no_password(out, err, caplog.text)


def fake_fit(options, store, plan=None, progress=None):
    """fit_latency's report without minutes of timing: the output around it is what is checked."""
    scores = SimpleNamespace(within_10pct=0.5, mape=0.1, kendall_tau=0.9)
    model = SimpleNamespace(features=("macs",), weights=(1.0,))
    return SimpleNamespace(
        noise_floor=0.9,
        model_scores=scores,
        baseline_scores=scores,
        model=model,
        baseline=model,
        train_size=10,
        test_measured_ms=[1.0, 2.0],
    )


def test_commands_using_a_password_protected_store_never_print_its_password(
    password_role, tiny_base_path, capsys, caplog, monkeypatch
):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setattr("scaling_core.hardware.latency_model.fit_latency", fake_fit)
    user = make_url(password_role).username
    network = ["--base", str(tiny_base_path), "--alpha", "1", "--beta", "1", "--gamma", "1", "--phi", "0"]
    bench = ["bench", *network, "--min-run-time", "0.01", "--store", password_role]
    fit = ["fit-latency", "--plan", "quick", "--store", password_role]
    outputs = {}
    for name, command in {
        "bench": bench,  # measures and stores
        "bench again": bench,  # served from the store
        "bench --json": [*bench, "--json"],
        "fit-latency": fit,
        "fit-latency --json": [*fit, "--json"],
        "lab report": ["lab", "report", "--json", "--store", password_role],
    }.items():
        assert main(command) == 0, name
        outputs[name] = capsys.readouterr()
        assert_no_password(*outputs[name], caplog.text)
    assert f"store postgresql+psycopg://{user}:***@" in outputs["bench again"].out
    assert f"profile saved in postgresql+psycopg://{user}:***@" in outputs["fit-latency"].out
    assert json.loads(outputs["fit-latency --json"].out)["store"].startswith(f"postgresql+psycopg://{user}:***@")


# The pages.

STORE_PAGES = [p for p in PAGES.values() if p.key in STORE_PAGE_KEYS]
OTHER_PAGES = [p for p in PAGES.values() if p.key not in STORE_PAGE_KEYS]


def check_pages(pages, url: str, caplog, monkeypatch):
    """Open each page on a store at url; no text of any (nor any log line) holds the password. The app run."""
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv(STORE_URL_ENV, url)
    at = open_app()
    for page in pages:
        at.switch_page(page.path).run()
        assert not at.exception, (page.key, at.exception)
        assert_no_password(visible_text(at), caplog.text)
    return at


def test_no_page_that_opens_the_store_shows_the_password_of_an_unreachable_one(monkeypatch, caplog):
    at = check_pages(STORE_PAGES, UNREACHABLE, caplog, monkeypatch)
    assert any("alice:***@" in e.value for e in at.error)  # the page said which store it could not open


def test_no_page_that_opens_the_store_shows_the_password_of_one_it_uses(password_role, monkeypatch, caplog):
    Store(password_role).save_result("a result", "ana", "", "explorer", {"phi": "1.0"}, {})
    at = check_pages(STORE_PAGES, password_role, caplog, monkeypatch)
    assert any(f"{make_url(password_role).username}:***@" in c.value for c in at.caption)  # Saved, the last one


@pytest.mark.slow  # these pages open no store, so there is nothing of its to show; about a minute
@pytest.mark.parametrize("kind", ["unreachable", "reachable"])
def test_the_other_pages_show_no_password_either(kind, request, monkeypatch, caplog):
    url = UNREACHABLE if kind == "unreachable" else request.getfixturevalue("password_role")
    check_pages(OTHER_PAGES, url, caplog, monkeypatch)
