"""The enrich service's metrics that hold state of their own."""

from prometheus_client import REGISTRY

from services.enrich.metrics import DEAD_LETTER_REASONS, set_consumer_lag


def lag_samples() -> dict[str, float]:
    return {
        sample.labels["partition"]: sample.value
        for metric in REGISTRY.collect()
        if metric.name == "newswire_enrich_consumer_lag"
        for sample in metric.samples
    }


def test_a_partition_given_away_loses_its_lag_and_the_owned_ones_are_updated() -> None:
    set_consumer_lag({0: 5, 1: 3, 2: 0})
    assert lag_samples() == {"0": 5, "1": 3, "2": 0}

    set_consumer_lag({1: 2})

    assert lag_samples() == {"1": 2}


def test_no_partition_owned_means_no_lag_reported() -> None:
    set_consumer_lag({4: 1})
    set_consumer_lag({})
    assert lag_samples() == {}


def test_every_dead_letter_reason_has_a_series_before_its_first_dead_letter() -> None:
    # rate() needs a sample before the first event: a series born at 1 hides it.
    for reason in DEAD_LETTER_REASONS:
        value = REGISTRY.get_sample_value("newswire_enrich_dead_letters_total", {"reason": reason})
        assert value is not None, reason
