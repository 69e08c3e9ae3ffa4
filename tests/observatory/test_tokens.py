from observatory.tokens import TOKEN_PREFIX, hash_token


def test_hash_is_keyed_and_stable() -> None:
    token = TOKEN_PREFIX + "abc"
    assert hash_token(token, "k1") == hash_token(token, "k1")
    assert hash_token(token, "k1") != hash_token(token, "k2")
    assert len(hash_token(token, "k1")) == 64
    assert token not in hash_token(token, "k1")
