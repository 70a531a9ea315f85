"""The second factor: authenticator apps (TOTP, RFC 6238) and recovery codes, the login's second
step, and the fresh proof that sensitive actions ask for again (step-up).

django-otp provides the devices' base (`Device`, its throttling and timestamps) and the TOTP
arithmetic (`django_otp.oath.TOTP`); the keys are stored encrypted (`crypto`), the recovery codes
as keyed hashes, so that a copy of the database alone yields neither.
"""
