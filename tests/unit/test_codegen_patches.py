# SPDX-License-Identifier: GPL-2.0-or-later
"""The edits of NESTML's generated code fail loudly when the code changes shape
(no NEST, no NESTML run: the inputs are written here)."""
import pytest

from seqnest.pynest_ext import codegen


def test_shared_parameters_missing_from_the_common_properties_stop_the_build(tmp_path):
    source = tmp_path / "my_synapse.nestml"
    source.write_text("    parameters:\n        a real = 1 @homogeneous  # shared\n"
                      "        b real = 2 @heterogeneous\n        c ms = 3 ms @homogeneous\n")
    header = tmp_path / "my_synapse__with_my_neuron.h"
    common = ("class my_synapse__with_my_neuronCommonSynapseProperties : public "
              "CommonSynapseProperties\n{\n    double a;\n    double c;\n}; // end class x\n")
    header.write_text(common)
    codegen._check_shared_parameters([source], tmp_path)          # both shared: fine
    header.write_text(common.replace("    double c;\n", ""))
    with pytest.raises(RuntimeError, match=r"\['c'\] are not in its common properties"):
        codegen._check_shared_parameters([source], tmp_path)


def test_an_unexpected_neuron_layout_is_refused(tmp_path):
    header, source = tmp_path / "n.h", tmp_path / "n.cpp"
    header.write_text("#include <cmath>\n    std::vector< nest::RingBuffer > spike_inputs_;\n")
    source.write_text("// nothing NESTML 9.0.0 would have written\n")
    with pytest.raises(RuntimeError, match="NESTML's generated code changed|expected two"):
        codegen._one_input_buffer(header, source)
    assert "spike_channels_" not in header.read_text()             # nothing half-written


def test_once_replaces_exactly_one_match():
    assert codegen._once("a b", "b", "c", "x") == "a c"
    for text in ("a", "b b"):
        with pytest.raises(RuntimeError, match="expected one match"):
            codegen._once(text, "b", "c", "x")


def test_the_array_backend_is_registered_by_the_module(tmp_path):
    source = tmp_path / "seqnestmodule.cpp"
    source.write_text('#include "nest_extension_interface.h"\n\nvoid seqnestmodule::initialize()\n'
                      '{\n    // register neurons\n}\n')
    codegen._add_array_backend(source)
    text = source.read_text()
    assert f'#include "{codegen.ARRAY_BACKEND.name}"' in text
    assert "{\n    seqnest::register_array_backend();\n    // register neurons" in text
    assert (tmp_path / codegen.ARRAY_BACKEND.name).read_text() == codegen.ARRAY_BACKEND.read_text()
    other = tmp_path / "other.cpp"
    other.write_text("// a module NESTML 9.0.0 would not have written\n")
    with pytest.raises(RuntimeError, match="expected one match"):
        codegen._add_array_backend(other)


SYNAPSE_HEADER = """
class my_synapse__with_my_neuron : public Connection< targetidentifierT >
{
  struct Variables_
  {
    double __h;
    double __P__x_pre__x_pre;
  };
  Parameters_ P_;
  Variables_  V_;  //!< Internal Variables
  void update()
  {
    V_.__h = timestep;
    assert(V_.__h > 0);
    recompute_internal_variables();
    x = V_.__P__x_pre__x_pre * x + normal_dev_( rng );
  }
  normal_distribution normal_dev_; //!< random deviate generator
"""


def test_the_update_scratch_is_per_thread_and_each_deviate_uses_a_fresh_adaptor(tmp_path):
    header = tmp_path / "my_synapse__with_my_neuron.h"
    header.write_text(SYNAPSE_HEADER)
    codegen._scratch_per_thread(header)
    text = header.read_text()
    assert "inline static thread_local Variables_ V_;" in text
    assert "normal_dev_" not in text and "normal_distribution()( rng )" in text
    neuron = tmp_path / "my_neuron__with_my_synapse.h"            # neurons are left alone
    as_neuron = SYNAPSE_HEADER.replace("public Connection< targetidentifierT >",
                                       "public nest::ArchivingNode")
    neuron.write_text(as_neuron)
    codegen._scratch_per_thread(neuron)
    assert neuron.read_text() == as_neuron


@pytest.mark.parametrize("change", [
    ("    double __P__x_pre__x_pre;\n", "    double __P__x_pre__x_pre;\n    double kept;\n"),
    ("    V_.__h = timestep;\n", "    V_.__h = other;\n"),
    ("  Variables_  V_;  //!< Internal Variables", "  Variables_ V_;")])
def test_a_synapse_whose_internals_are_more_than_scratch_is_refused(tmp_path, change):
    header = tmp_path / "my_synapse__with_my_neuron.h"
    header.write_text(SYNAPSE_HEADER.replace(*change))
    with pytest.raises(RuntimeError, match="NESTML's generated code changed"):
        codegen._scratch_per_thread(header)
    assert "thread_local" not in header.read_text()                # nothing half-written
