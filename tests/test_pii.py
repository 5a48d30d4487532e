from nlp_service.text.pii import find_pii, luhn_ok, mask_pii, valid_id_number

ID_OK = "430624199204167326"  # fictional, with a valid check character


def test_id_checksum():
    assert valid_id_number(ID_OK)
    assert not valid_id_number(ID_OK[:-1] + "0")
    assert not valid_id_number("430624199213417326")  # month 13


def test_masks_each_kind():
    text = f"电话13912345678，身份证{ID_OK}，邮箱lin_xy@163.com，卡号6222021234567890128，座机0731-88886666"
    kinds = [s.kind for s in find_pii(text)]
    assert kinds == ["phone", "id_number", "email", "bank_card", "phone"]
    masked = mask_pii(text)
    for secret in ("13912345678", ID_OK, "lin_xy@", "6222021234567890128", "88886666"):
        assert secret not in masked
    assert "139****5678" in masked and "l***@163.com" in masked


def test_not_every_long_number_is_personal():
    assert luhn_ok("6222021234567890128")
    text = "项目编号20230512000000001，投资1234567890元"
    assert mask_pii(text) == text
