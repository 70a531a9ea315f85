"""The audit log knows what it shows without importing the apps that write to it."""

from apikeys import tokens
from apikeys.models import Api
from audit.models import KEY_ID_MAX_LENGTH, AuditEvent


def test_its_key_id_column_holds_exactly_a_key_id():
    assert KEY_ID_MAX_LENGTH == tokens.KEY_ID_LENGTH
    assert AuditEvent._meta.get_field("key_id").max_length == tokens.KEY_ID_LENGTH


def test_the_activity_page_names_each_api_an_entry_stored(db):
    from apikeys.templatetags.keys import api_label

    assert api_label(Api.PRODUCTION) == Api.PRODUCTION.label
    assert api_label(Api.INTEGRATION) == Api.INTEGRATION.label
    assert api_label("<script>") == ""
    assert api_label(None) == ""
