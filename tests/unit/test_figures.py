# SPDX-License-Identifier: GPL-2.0-or-later
"""Each plot function draws into the given ax and returns it (no NEST)."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from seqnest.sequences.temporal_memory import figures  # noqa: E402

VOCAB = ("A", "B", "C")
N_E = 10


@pytest.fixture()
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def test_raster_with_daps_stimuli_and_decoded_elements(ax):
    neuron = np.array([0, 5, 12, 25])
    times = np.array([10.0, 11.0, 52.0, 93.0])
    out = figures.raster(ax, neuron, times, N_E, VOCAB, (0.0, 100.0), [(10.0, "A"), (50.0, "B")],
                         dap=(np.array([12]), np.array([45.0])), decoded=[("B", 52.0)],
                         title="t")
    assert out is ax
    assert ax.lines[0].get_xdata().size == 4 and ax.lines[1].get_xdata().size == 1
    assert [t.get_text() for t in ax.get_yticklabels()] == list(VOCAB)
    assert ax.texts[0].get_text() == "B"


def test_learning_curves_skip_missing_values(ax):
    out = figures.learning_curves(ax, {"error": [1.0, 0.5, 0.0], "overlap": [None, 0.5, 0.1]})
    assert out is ax and len(ax.lines) == 2
    assert np.isnan(ax.lines[1].get_ydata()[0])


def test_connectivity_matrix_means_per_pair(ax):
    src = np.array([0, 1, 15, 25])
    tgt = np.array([10, 11, 0, 5])
    out = figures.connectivity_matrix(ax, src, tgt, np.array([2.0, 4.0, 6.0, 8.0]), N_E, VOCAB,
                                      "state")
    image = out.images[0].get_array()
    assert image[1, 0] == 3.0 and image[0, 1] == 6.0 and image[0, 2] == 8.0
    assert np.ma.is_masked(image[2, 2]) or np.isnan(image[2, 2])   # no synapses: no value


def test_histogram_and_correlation_image(ax):
    assert figures.histogram(ax, np.array([1.0, np.nan, 2.0]), "rate (Hz)") is ax
    fig, ax2 = plt.subplots()
    assert figures.correlation_image(ax2, np.eye(30), N_E, VOCAB) is ax2
    plt.close(fig)


def test_psth_lines_per_label(ax):
    import neo
    import quantities as pq

    from seqnest.sequences.analysis import population_psth
    trains = [neo.SpikeTrain([5.0, 15.0, 25.0] * pq.ms, t_stop=40 * pq.ms)]
    sig = population_psth(trains, 10 * pq.ms, 0 * pq.ms, 40 * pq.ms)
    np.testing.assert_allclose(sig.magnitude.ravel(), [100.0, 100.0, 100.0, 0.0])
    assert figures.psth(ax, {"A": sig}) is ax and len(ax.lines) == 1
