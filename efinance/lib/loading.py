"""Model instances loaded from the database without `Model.__init__`, through Django's documented hook
for it (`Model.from_db`, "Customizing model loading").

Django's `from_db` pads the row with a `DEFERRED` marker for each column not selected, then calls
`__init__`, which sends `pre_init` and `post_init` and sets each value through its field's descriptor.
For a row that has just been read none of that does anything: the descriptors of plain columns only
store the value, a foreign key's only drops a cached related object that a new instance does not have.
The key list builds 100 `ApiKey` instances a page; this costs a fifth of Django's way
(`python -m tools.bench_auth`, cProfile: `from_db` was a third of reading a page of keys).

The values go straight into the instance's `__dict__`, keyed by the columns' attribute names, exactly
where `__init__` would have put them; a column not selected stays out of it and is loaded on first
access, as with Django's `only()`. A model takes Django's way whenever that would differ: a receiver of
`pre_init` or `post_init` for it, or a field whose descriptor does more than store (a file, say).
"""

from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init


class LoadedWithoutInit:
    """A model mixin: `from_db` fills the instance's `__dict__` when nothing would observe `__init__`."""

    @classmethod
    def from_db(cls, db, field_names, values):
        if pre_init.has_listeners(cls) or post_init.has_listeners(cls) or not _plain_fields(cls):
            return super().from_db(db, field_names, values)
        instance = cls.__new__(cls)
        instance.__dict__.update(zip(field_names, values, strict=True))
        state = instance._state = ModelState()
        state.adding = False
        state.db = db
        return instance


def _plain_fields(model) -> bool:
    """Whether every concrete field of `model` stores its value as Django's plain descriptors do."""
    plain = model.__dict__.get("_loaded_without_init_plain")
    if plain is None:
        plain = all(
            type(getattr(model, field.attname, None)) in (DeferredAttribute, ForeignKeyDeferredAttribute)
            for field in model._meta.concrete_fields
        )
        model._loaded_without_init_plain = plain
    return plain
