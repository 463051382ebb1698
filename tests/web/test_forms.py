"""Every page works as plain HTML: no script anywhere (the pages need none, and the Content-Security-Policy would
block one), every form goes to a route that takes its method, every form that posts carries the token that lets
it through, and every field a person fills in has a label (a screen reader and the keyboard reach it by name).
The pages are found by walking the route table, so a new page is checked too."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from werkzeug.exceptions import MethodNotAllowed, NotFound

from config.settings import Settings

from .test_actions import registrar_to_do
from .test_security import _urls, seed


@dataclass
class Form:
    method: str
    action: str
    hidden: dict[str, str] = field(default_factory=dict)


@dataclass
class Page(HTMLParser):
    forms: list[Form] = field(default_factory=list)
    scripts: int = 0
    handlers: list[str] = field(default_factory=list)  # onclick= and the like
    fields: list[dict[str, str]] = field(default_factory=list)
    labelled: set[str] = field(default_factory=set)
    in_label: int = 0

    def __post_init__(self) -> None:
        super().__init__()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.handlers += [k for k in a if k.startswith("on")]
        if tag == "script":
            self.scripts += 1
        elif tag == "form":
            self.forms.append(Form(method=a.get("method", "get").lower(), action=a.get("action", "")))
        elif tag == "label":
            self.in_label += 1
            if a.get("for"):
                self.labelled.add(a["for"])
        elif tag in ("input", "select", "textarea"):
            if a.get("type") == "hidden":
                if self.forms:
                    self.forms[-1].hidden[a.get("name", "")] = a.get("value", "")
            elif a.get("type") not in ("submit", "button"):
                self.fields.append({**a, "in-label": "yes" if self.in_label else ""})

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.in_label -= 1


def _read(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def test_every_page_is_plain_html_with_working_forms(
    signed_in: FlaskClient, web_app: Flask, engine: Engine, settings: Settings
) -> None:
    seed(engine)
    registrar_to_do(engine, settings)
    adapter = web_app.url_map.bind("localhost")
    token = ""
    checked_posts = 0
    pages = [(e, url) for e, method, url in _urls(web_app) if method == "GET" and e not in ("static", "month_end_csv")]
    # The plans behind each action's button, and the sign-in page seen by a stranger.
    pages += [("approve plan", "/decisions/1/approve?orders=ORD-1"), ("done plan", "/todos/ORD-1042/done?ref=RC-1")]
    for endpoint, url in pages:
        response = signed_in.get(url)
        if response.status_code in (303, 404):
            continue
        html = response.get_data(as_text=True)
        page = _read(html)
        assert page.scripts == 0 and not page.handlers, (endpoint, page.handlers)
        for f in page.forms:
            assert f.method in ("get", "post"), (endpoint, f)
            path = urlsplit(f.action).path or urlsplit(url).path  # no action: the form goes back to its own page
            try:
                adapter.match(path, method=f.method.upper())
            except (NotFound, MethodNotAllowed) as exc:
                raise AssertionError(f"{endpoint}: a form {f.method.upper()}s to {path}: {exc.name}") from exc
            if f.method == "post":
                token = token or f.hidden.get("csrf", "")
                assert f.hidden.get("csrf") and f.hidden["csrf"] == token, (endpoint, f)
                checked_posts += 1
        for attrs in page.fields:
            named = attrs["in-label"] or attrs.get("id") in page.labelled or attrs.get("aria-label")
            assert named, (endpoint, attrs)
            assert attrs.get("name"), (endpoint, attrs)  # a field without a name is never sent
    assert checked_posts > len(pages)  # sign-out on each page, and the Confirm forms
    stranger = _read(web_app.test_client().get("/signin").get_data(as_text=True))
    [form] = stranger.forms
    assert form.method == "post" and form.hidden.get("token") and stranger.scripts == 0
    assert all(attrs.get("id") in stranger.labelled for attrs in stranger.fields)
