"""The contract's security policy: its rules (`rules`), its screens (`views`) and their forms (`forms`).

The models are `apikeys.models.policy` (`SecurityPolicy`, `PolicyChange`)."""
