from datetime import UTC, datetime

import pytest

from services.ingest.dedup import Decision, Outcome, SeenWindow, item_identities, item_keys
from services.ingest.normalize import ArticleDraft, article_keys

DAY = datetime(2026, 1, 5, tzinfo=UTC)


def draft(
    title: str = "T",
    body: str = "B",
    guid: str | None = None,
    url: str | None = None,
) -> ArticleDraft:
    return ArticleDraft(title=title, body=body, guid=guid, url=url, published_at=DAY)


def outcomes(decisions: list[Decision]) -> list[Outcome]:
    return [decision.outcome for decision in decisions]


def identities_of(drafts: list[ArticleDraft]) -> list[str]:
    return item_identities(drafts, [item_keys(item) for item in drafts])


def test_identity_is_guid_then_link_then_hash() -> None:
    identities = identities_of(
        [
            draft(guid="g1", url="https://x.example/1"),
            draft(url="https://x.example/2?utm_source=rss"),
            draft(title="No guid, no link"),
        ]
    )
    assert identities[0] == "guid:g1"
    assert identities[1] == "link:https://x.example/2"  # canonical: tracking dropped
    assert identities[2].startswith("hash:")


def test_repeated_or_blank_guids_fall_back() -> None:
    identities = identities_of(
        [
            draft(guid="same", url="https://x.example/1"),
            draft(guid="same", url="https://x.example/2"),
            draft(guid="   ", url="https://x.example/3"),
            draft(guid="same-link", url="https://x.example/home", title="A"),
            draft(guid="same-link", url="https://x.example/home", title="B"),
        ]
    )
    assert identities[:3] == [
        "link:https://x.example/1",
        "link:https://x.example/2",
        "link:https://x.example/3",
    ]
    assert identities[3].startswith("hash:") and identities[3] != identities[4]


def test_new_then_unchanged_then_updated() -> None:
    window = SeenWindow(capacity=10)
    first = window.classify([draft(guid="a"), draft(guid="b")])
    assert outcomes(first) == [Outcome.NEW, Outcome.NEW]
    window.record(first)
    again = window.classify([draft(guid="a"), draft(guid="b", body="B, corrected")])
    assert outcomes(again) == [Outcome.UNCHANGED, Outcome.UPDATED]


def test_a_changed_title_is_an_update_not_a_new_item() -> None:
    window = SeenWindow(capacity=10)
    window.record(window.classify([draft(title="Old headline", guid="g")]))
    [decision] = window.classify([draft(title="New headline", guid="g")])
    assert decision.outcome == Outcome.UPDATED


def test_exact_repeats_in_one_document_are_duplicates() -> None:
    window = SeenWindow(capacity=10)
    assert outcomes(window.classify([draft(title="Same"), draft(title="Same")])) == [
        Outcome.NEW,
        Outcome.DUPLICATE,
    ]


def test_classify_changes_nothing_until_record() -> None:
    window = SeenWindow(capacity=10)
    window.classify([draft(guid="a")])
    assert len(window) == 0
    assert outcomes(window.classify([draft(guid="a")])) == [Outcome.NEW]


def test_window_forgets_the_oldest_but_not_what_was_just_seen() -> None:
    window = SeenWindow(capacity=3)
    for name in "abcde":
        window.record(window.classify([draft(guid=name)]))
    assert len(window) == 4  # the latest document's one item, and 3 before it
    assert outcomes(window.classify([draft(guid="a"), draft(guid="b"), draft(guid="e")])) == [
        Outcome.NEW,
        Outcome.UNCHANGED,
        Outcome.UNCHANGED,
    ]


def test_an_item_that_drops_out_of_the_feed_for_a_while_is_not_new_when_it_comes_back() -> None:
    window = SeenWindow(capacity=3)
    items = [draft(guid=str(n)) for n in range(5)]  # more than the capacity
    window.record(window.classify(items))
    for _ in range(3):  # the last item is missing from three documents in a row
        window.record(window.classify(items[:4]))
    assert set(outcomes(window.classify(items))) == {Outcome.UNCHANGED}


def test_seeing_an_item_again_keeps_it_in_the_window() -> None:
    window = SeenWindow(capacity=2)
    window.record(window.classify([draft(guid="old")]))
    for name in "xy":
        window.record(window.classify([draft(guid="old"), draft(guid=name)]))
    assert outcomes(window.classify([draft(guid="old")])) == [Outcome.UNCHANGED]


def test_a_document_larger_than_the_window_is_kept_whole() -> None:
    window = SeenWindow(capacity=5)
    many = [draft(guid=str(n)) for n in range(50)]
    window.record(window.classify(many))
    assert len(window) == 50
    assert set(outcomes(window.classify(many))) == {Outcome.UNCHANGED}


def test_window_round_trips_through_bytes() -> None:
    window = SeenWindow(capacity=10)
    window.record(window.classify([draft(guid="a"), draft(guid="b")]))
    data = window.to_bytes()
    assert len(data) == 32
    restored = SeenWindow.from_bytes(10, data)
    assert restored.entries() == window.entries()
    assert outcomes(restored.classify([draft(guid="b")])) == [Outcome.UNCHANGED]


def test_a_filled_in_fetch_time_does_not_change_a_hash_identity() -> None:
    def polled(at: datetime) -> ArticleDraft:
        return ArticleDraft(
            title="Untitled note", body="B", published_at=at, published_at_inferred=True
        )

    first = identities_of([polled(DAY)])
    assert first == identities_of([polled(datetime(2026, 1, 6, tzinfo=UTC))])
    assert first != identities_of([draft(title="Untitled note")])  # a real date counts


def test_a_link_that_is_not_a_url_falls_back_to_the_hash() -> None:
    [identity] = identities_of([draft(url="http://bad.example:99999/")])
    assert identity.startswith("hash:")


def test_decisions_carry_the_keys_of_their_articles() -> None:
    good, bad = draft(url="https://x.example/1"), draft(url="http://bad.example:99999/")
    first, second = SeenWindow(capacity=10).classify([good, bad])
    assert first.keys == article_keys(good)
    assert second.keys is None  # no article can be built of it
    assert first.digest == second.digest  # the same text


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        SeenWindow(capacity=0)
