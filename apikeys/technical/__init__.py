"""Technical users of the contract («ERP Abacus»): identities that own keys and never log in.

Its Admin users create, rename and deactivate them (`services`, screens in `views` with their
`forms`); the user itself is `users.models.User` with `is_technical`, kept from being a person by the
database (CHECK `technical_user_is_no_person`, trigger `users_technical_user_fixed`)."""
