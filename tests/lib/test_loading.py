"""`efinance.lib.loading.LoadedWithoutInit`: an `ApiKey` read from the database is the instance Django
would have made, field for field, deferred fields and related objects included; and Django's own way is
taken as soon as something observes `__init__`."""

from django.db.models.signals import post_init

from apikeys.models import ApiKey
from efinance.lib.loading import LoadedWithoutInit


def _fields(instance) -> dict:
    return {name: value for name, value in instance.__dict__.items() if name != "_state"}


def _loaded_by_django(queryset):
    """The same rows loaded by Django's `from_db` (a receiver of post_init makes the mixin step aside)."""
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(receiver, sender=ApiKey)
    try:
        instances = list(queryset)
    finally:
        post_init.disconnect(receiver, sender=ApiKey)
    assert len(seen) == len(instances)  # Django's __init__ ran for each
    return instances


def test_a_loaded_key_is_the_instance_django_makes(make_key, bob, alice):
    key, _token = make_key(user=bob, note="ERP", allowed_networks="192.0.2.0/24")
    make_key(user=alice, deleted=True)
    for queryset in (ApiKey.objects.order_by("pk"), ApiKey.objects.order_by("pk").only("key_id", "user")):
        ours, django = list(queryset.all()), _loaded_by_django(queryset.all())
        assert [_fields(instance) for instance in ours] == [_fields(instance) for instance in django]
        for instance in ours:
            assert instance._state.adding is False and instance._state.db == "default"
    assert ours[0].key_id == key.key_id


def test_a_deferred_field_and_a_related_object_load_on_access(make_key, bob):
    key, _token = make_key(user=bob, note="ERP")
    loaded = ApiKey.objects.only("key_id", "user").get(pk=key.pk)
    assert loaded.get_deferred_fields() >= {"note", "valid_until"}
    assert loaded.note == "ERP"  # one query, as with Django's only()
    assert loaded.user == bob
    assert loaded.user.username == bob.username


def test_a_loaded_key_saves_as_an_update_not_an_insert(make_key, bob, django_assert_num_queries):
    key, _token = make_key(user=bob)
    loaded = ApiKey.objects.get(pk=key.pk)
    loaded.note = "changed"
    with django_assert_num_queries(1):
        loaded.save(update_fields=["note"])
    assert ApiKey.objects.get(pk=key.pk).note == "changed"
    assert ApiKey.objects.count() == 1


def test_a_receiver_of_init_is_called_as_always(make_key, bob):
    make_key(user=bob)
    assert len(_loaded_by_django(ApiKey.objects.all())) == 1
    assert issubclass(ApiKey, LoadedWithoutInit)
