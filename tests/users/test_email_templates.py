"""Every notice is one voice: its HTML part extends one styled base (a phone's viewport, the app's
colours, a footer that says no secret is inside), directly or through the key notices' base."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

EMAILS = Path(settings.BASE_DIR) / "templates" / "emails"
NOTICES = sorted(path.name for path in EMAILS.glob("*.html") if not path.name.startswith("_"))
BASES = {'{% extends "emails/_base.html" %}', '{% extends "emails/_key_base.html" %}'}


def test_there_are_notices_to_check():
    assert len(NOTICES) >= 15


@pytest.mark.parametrize("name", NOTICES)
def test_each_notice_extends_the_styled_base(name):
    first_tag = re.match(r"\{% extends \"[^\"]+\" %\}", (EMAILS / name).read_text())
    assert first_tag and first_tag[0] in BASES, name


def test_the_key_base_extends_the_styled_base():
    assert (EMAILS / "_key_base.html").read_text().startswith('{% extends "emails/_base.html" %}')


@pytest.mark.parametrize("language", ["en", "de", "fr", "it"])
def test_the_base_fits_a_phone_in_the_apps_colours_and_the_readers_language(language):
    with translation.override(language):
        html = render_to_string("emails/_base.html", {})
    assert html.startswith("<!DOCTYPE html>")
    assert f'<html lang="{language}">' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "#00539b" in html  # the app's brand colour (static/css/efinance.css, --brand)
    assert "max-width: 600px" in html
