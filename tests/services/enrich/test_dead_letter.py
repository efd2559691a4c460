"""A dead letter keeps the record as it was, less what would make it too large for Kafka."""

from kafka.consumer.fetcher import ConsumerRecord

from newswire.errors import DecodeError
from newswire.kafka.serde import Headers, header
from services.enrich.dead_letter import DeadLetter, record_size

MAX_BYTES = 4096


def letter(key: bytes | None, value: bytes | None, headers: Headers) -> DeadLetter:
    record = ConsumerRecord(
        "raw", 2, None, 17, 0, 0, key, value, headers, None, -1, -1, -1
    )  # fmt: skip
    return DeadLetter(record, "decode", DecodeError("invalid_json", "not JSON"))


def test_a_record_that_fits_is_kept_whole_with_where_and_why() -> None:
    key, value, headers = letter(
        b"k", b"{", [("trace", b"t1"), ("dlq.reason", b"old")]
    ).record_fields(MAX_BYTES)
    assert (key, value) == (b"k", b"{")
    assert headers[0] == ("trace", b"t1")
    assert header(headers, "dlq.reason") == "invalid_json"  # the old failure's is not carried
    assert (header(headers, "dlq.topic"), header(headers, "dlq.offset")) == ("raw", "17")


def test_what_would_not_fit_is_dropped_the_largest_first() -> None:
    big = b"x" * MAX_BYTES
    cases = {
        "value": (b"k", big, [("trace", b"t1")]),
        "headers": (b"k", b"{", [("trace", big)]),
        "key": (big, None, []),  # a tombstone with a huge key: still a record Kafka takes
    }
    for what, (key, value, original) in cases.items():
        kept_key, kept_value, headers = letter(key, value, original).record_fields(MAX_BYTES)
        assert record_size(kept_key, kept_value or b"", headers) <= MAX_BYTES, what
        assert kept_key is not None or kept_value is not None, what
        dropped = {
            name.removeprefix("dlq.").removesuffix(".dropped")
            for name, _ in headers
            if name.endswith(".dropped")
        }
        assert dropped == {what}, what
        assert header(headers, "dlq.reason") == "invalid_json"


def test_headers_without_a_value_are_named_as_the_client_cannot_write_them() -> None:
    original = [("x-null", None), ("x-one", b"1"), ("x-one", b"2"), ("x-empty", b""), ("x-0", None)]
    _, _, headers = letter(b"k", b"{", original).record_fields(MAX_BYTES)  # type: ignore[arg-type]
    assert headers[:3] == [("x-one", b"1"), ("x-one", b"2"), ("x-empty", b"")]
    assert header(headers, "dlq.headers.null") == '["x-null", "x-0"]'
    _, _, plain = letter(b"k", b"{", [("x-one", b"1")]).record_fields(MAX_BYTES)
    assert header(plain, "dlq.headers.null") is None
