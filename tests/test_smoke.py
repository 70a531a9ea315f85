def test_the_key_list_opens_for_the_admin(alice_client, alice_key):
    response = alice_client.get("/administration/api-keys/")
    assert response.status_code == 200
    assert alice_key[0].key_id in response.content.decode()
