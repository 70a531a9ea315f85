"""The peer of `tools.bench_auth`: the same ping on Django REST framework + djangorestframework-api-key.

A separate Django project (its own settings, URLs and database), development dependencies only, set up
the way that library's documentation does: `HasAPIKey` as the view's permission, keys made by
`APIKey.objects.create_key`, sent as ``Authorization: Api-Key <key>``. It runs under Django's default
middleware (`startproject`'s list) and the database settings of the project's own benchmark run
(CONN_MAX_AGE=60, SQLite in WAL mode), so that the two differ only in what each one does per request.

    DJANGO_SETTINGS_MODULE=tools.peer.settings python -m tools.peer.measure --keys 1000 --verifications 5000
"""
