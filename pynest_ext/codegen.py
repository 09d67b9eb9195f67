# SPDX-License-Identifier: GPL-2.0-or-later
"""NESTML code generation only (no compilation), driven by ``CMakeLists.txt``.

``python -m seqnest.pynest_ext.codegen --models DIR --target DIR`` parses every
``*.nestml`` file below ``--models`` and writes the C++ sources and the
module's own ``CMakeLists.txt`` into ``--target``, with the neuron/synapse pairs
and options of :data:`seqnest.pynest_ext.models.CODEGEN_OPTIONS`. Compilation is left
to CMake so that one build system drives the whole module.

NESTML's output is adjusted where it costs or breaks (each edit fails loudly if
the generated code no longer has the shape it was checked on, NESTML 9.0.0):
shared (``@homogeneous``) synapse parameters are kept in NEST's common synapse
properties also for co-generated synapses (:func:`_decorators_kept_in_clones`,
checked by :func:`_check_shared_parameters`); every neuron gets one multi-channel
input buffer (:func:`_one_input_buffer`); a wrong neuron-synapse pairing raises
instead of exiting (:func:`_raise_instead_of_exit`); built-in STDP synapses keep
their own spike history (:func:`_separate_spike_histories`). Two C++ parts of
seqnest are added to the module: a recording backend that keeps a recorder's
events in arrays (:func:`_add_array_backend`) and a reader of every connection
of a synapse model into arrays (:func:`_add_synapse_reader`; the generated
synapse classes' getters are made public for it).

Size: above 400 lines because every edit of the generated code is here, next to
the others it must agree with, so that one module fails loudly when NESTML's
output changes shape.

Besides the models in ``--models``, one neuron is derived here:
``stm_neuron_stim`` (:data:`seqnest.pynest_ext.models.STIM_NEURON`) is ``stm_neuron``
with a continuous current input (``I_stim``), so that NEST's current
generators (``noise_generator``, ``step_current_generator``, ``ac_generator``)
reach the soma; it is used where noise is injected (replay under noise,
Bouhadjar et al. 2023). Training uses ``stm_neuron`` itself: a continuous port
is read in every step and costs 3-7 ns per neuron and step (7-15 %).
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import sys
from pathlib import Path

from seqnest.pynest_ext.models import CODEGEN_OPTIONS, MODULE_NAME, NEURON, STIM_NEURON

__all__ = ["generate", "stim_variant"]


def generate(models_dir: Path, target_dir: Path, module_name: str = MODULE_NAME,
             logging_level: str = "WARNING") -> None:
    """Generate NEST C++ code for all models in ``models_dir`` into ``target_dir``.

    Raises
    ------
    RuntimeError
        If NESTML reports an error in any model.
    """
    from pynestml.frontend import pynestml_frontend as frontend

    sources = sorted(Path(models_dir).rglob("*.nestml"))
    if not sources:
        raise RuntimeError(f"no .nestml files below {models_dir}")
    models = [str(p) for p in sources]
    base = [p for p in sources if p.stem == NEURON]
    if base:
        derived = Path(target_dir) / "derived_models" / f"{STIM_NEURON}.nestml"
        derived.parent.mkdir(parents=True, exist_ok=True)
        derived.write_text(stim_variant(base[0].read_text()))
        models.append(str(derived))
    # NESTML's NEST target always compiles after generating; compilation is
    # CMake's job here, so the builder is switched off for this call only.
    original = frontend.builder_from_target_name
    frontend.builder_from_target_name = lambda name, options=None: (None, dict(options or {}))
    try:
        with _decorators_kept_in_clones():
            failed = frontend.generate_target(input_path=models, target_platform="NEST",
                                              target_path=str(target_dir),
                                              module_name=module_name,
                                              logging_level=logging_level,
                                              codegen_opts=CODEGEN_OPTIONS)
    finally:
        frontend.builder_from_target_name = original
    if failed:
        raise RuntimeError("NESTML reported errors in the models (see messages above)")
    for header in Path(target_dir).glob("*.h"):
        _raise_instead_of_exit(header)
        _scratch_per_thread(header)
    _separate_spike_histories(Path(target_dir))
    _check_shared_parameters(sources, Path(target_dir))
    for header in sorted(Path(target_dir).glob("*.h")):
        if "std::vector< nest::RingBuffer > spike_inputs_;" in header.read_text():
            _one_input_buffer(header, header.with_suffix(".cpp"))
    _add_array_backend(Path(target_dir) / f"{module_name}.cpp")
    _add_synapse_reader(Path(target_dir), Path(target_dir) / f"{module_name}.cpp")


#: The recording backend for the final read of the synapses (C++, GPL-2.0-or-later).
ARRAY_BACKEND = Path(__file__).resolve().parent / "cpp" / "seqnest_arrays_backend.h"


def _add_array_backend(module_source: Path) -> None:
    """Put the ``seqnest_arrays`` recording backend (:data:`ARRAY_BACKEND`) into the
    module: its header beside the generated sources, included by the module's
    source, registered in the module's ``initialize()`` (which NEST runs at every
    ``Install``, so again after each kernel reset)."""
    text = module_source.read_text()
    where = module_source.name
    text = _once(text, r'(#include "nest_extension_interface.h"\n)',
                 r'\1#include "' + ARRAY_BACKEND.name + '"\n', where)
    text = _once(text, r"(void \w+::initialize\(\)\n\{\n)",
                 r"\1    seqnest::register_array_backend();\n", where)
    module_source.write_text(text)
    (module_source.parent / ARRAY_BACKEND.name).write_text(ARRAY_BACKEND.read_text())


#: Reads every connection of a synapse model into arrays (C++, GPL-2.0-or-later).
SYNAPSE_READER = Path(__file__).resolve().parent / "cpp" / "seqnest_synapse_reader.h"

_SYNAPSE_CLASS = r"(class (\w+) : public Connection< targetidentifierT >\n\{\n(?:  typedef [^\n]*\n)?\s*)private:"


def _add_synapse_reader(target_dir: Path, module_source: Path) -> None:
    """Put the synapse reader (:data:`SYNAPSE_READER`) into the module: each
    generated synapse class's getters made public (they were private, the
    class's layout is unchanged), and a reader registered per class with the
    state variables and per-synapse parameters its getters return."""
    registrations = []
    for header in sorted(target_dir.glob("*.h")):
        text = header.read_text()
        if ": public Connection< targetidentifierT >" not in text:
            continue
        found = re.search(_SYNAPSE_CLASS, text)
        if found is None:
            raise RuntimeError(f"{header.name}: the synapse class does not have the expected "
                               "shape; NESTML's generated code changed: update "
                               "seqnest.pynest_ext.codegen")
        name = found.group(2)
        text = _once(text, _SYNAPSE_CLASS,
                     r"\1public:   // seqnest: getters read by seqnest_synapse_reader.h", header.name)
        header.write_text(text)
        getters = sorted(set(re.findall(r"inline double get_(\w+)\(\) const", text)))
        setters = sorted(set(re.findall(r"inline void set_(\w+)\(const double __v\)", text)))
        cls = f"nest::{name}::{name}< nest::TargetIdentifierPtrRport >"
        fields = ", ".join(f'{{ "{g}", &{cls}::get_{g} }}' for g in getters)
        sets = ", ".join(f'{{ "{g}", &{cls}::set_{g} }}' for g in setters)
        registrations.append(
            f"template struct seqnest::Steal< seqnest::BlocksOf< {cls} >, "
            f"&nest::Connector< {cls} >::C_ >;\n"
            f"static const bool seqnest_reader_{name} = seqnest::add_reader< {cls} >( "
            f"{{ {fields} }}, {{ {sets} }} );\n")
    registrations += _neuron_readers(target_dir)
    text = module_source.read_text()
    text = _once(text, r'(#include "' + ARRAY_BACKEND.name + '"\n)',
                 r'\1#include "' + SYNAPSE_READER.name + '"\n', module_source.name)
    module_source.write_text(text + "\n// seqnest: one reader per synapse and neuron class\n"
                             + "".join(registrations))
    (module_source.parent / SYNAPSE_READER.name).write_text(SYNAPSE_READER.read_text())


def _neuron_readers(target_dir: Path) -> list[str]:
    """A node reader per generated neuron class: its public getters of doubles
    (state variables and parameters)."""
    out = []
    for header in sorted(target_dir.glob("*.h")):
        text = header.read_text()
        found = re.search(r"\nclass (\w+) : public nest::(?:ArchivingNode|StructuralPlasticityNode)\n",
                          text)
        if found is None:
            continue
        name = found.group(1)
        body = text[found.end():]
        public = re.split(r"\n(?:protected|private):", body, maxsplit=1)[0]
        getters = sorted(set(re.findall(r"inline double get_(\w+)\(\) const", public)))
        if not getters:
            raise RuntimeError(f"{header.name}: no public getters in the neuron class; "
                               "NESTML's generated code changed: update seqnest.pynest_ext.codegen")
        fields = ", ".join(f'{{ "{g}", &::{name}::get_{g} }}' for g in getters)
        out.append(f"static const bool seqnest_node_reader_{name} = "
                   f"seqnest::add_node_reader< ::{name} >( {{ {fields} }} );\n")
    return out


@contextlib.contextmanager
def _decorators_kept_in_clones():
    """Keep ``@homogeneous`` in synapses generated together with their neuron.

    NESTML 9.0.0 clones the synapse for co-generation, and
    ``ASTDeclaration.clone`` copies each decorator as text (``str(dec)``): the
    lexer token of ``@homogeneous`` becomes a string, every later check for it
    fails, and each synapse object stores every parameter (stdsp: 168 instead
    of 96 bytes). During generation only, decorators are cloned as they are;
    :func:`_check_shared_parameters` then checks the result.
    """
    from pynestml.meta_model.ast_declaration import ASTDeclaration
    from pynestml.meta_model.ast_namespace_decorator import ASTNamespaceDecorator
    original = ASTDeclaration.clone

    def clone(self):
        dup = original(self)
        if getattr(self, "decorators", None):
            dup.decorators = [d.clone() if isinstance(d, ASTNamespaceDecorator) else d
                              for d in self.decorators]
        return dup

    ASTDeclaration.clone = clone
    try:
        yield
    finally:
        ASTDeclaration.clone = original


_HOMOGENEOUS = re.compile(r"^\s*(\w+)\s+[\w\[\]/*]+(?:\s+\w+)?\s*=.*@homogeneous", re.M)
_COMMON_CLASS = re.compile(r"class (\w+)CommonSynapseProperties : public CommonSynapseProperties"
                           r"(.*?)\}; // end class", re.S)


def _check_shared_parameters(sources: list[Path], target_dir: Path) -> None:
    """Every ``@homogeneous`` parameter of a synapse is a member of its generated
    ``CommonSynapseProperties`` (stored once per model), in every generated variant;
    fails loudly otherwise (a NESTML change to look at)."""
    for source in sources:
        shared = set(_HOMOGENEOUS.findall(source.read_text()))
        if not shared:
            continue
        headers = sorted(target_dir.glob(f"{source.stem}.h")) + sorted(
            target_dir.glob(f"{source.stem}__with_*.h"))
        if not headers:
            raise RuntimeError(f"no generated header for {source.stem}")
        for header in headers:
            match = _COMMON_CLASS.search(header.read_text())
            members = set(re.findall(r"^\s*double (\w+);", match.group(2), re.M)) if match else set()
            if members != shared:
                raise RuntimeError(
                    f"{header.name}: the shared (@homogeneous) parameters "
                    f"{sorted(shared - members)} are not in its common properties; NESTML's "
                    "code generation changed: update seqnest.pynest_ext.codegen")


#: The synapses' internal variables: the step and the trace's propagator, both set at
#: the start of every update before they are read (a scratch, not a synapse's state).
_SCRATCH_VARIABLES = {"__h", "__P__x_pre__x_pre"}
_VARIABLES_STRUCT = re.compile(r"struct Variables_\s*\{(.*?)\};", re.S)
_SET_BEFORE_USE = ("V_.__h = timestep;\n    assert(V_.__h > 0);\n"
                   "    recompute_internal_variables();")


def _scratch_per_thread(header: Path) -> None:
    """Nothing per synapse object of what a synapse only uses while it updates
    (-16 to -48 B per synapse):

    * ``V_``, the step and the trace propagator: the update sets both before it
      reads them (checked: the members are exactly those, and the update starts by
      setting them);
    * ``normal_dev_``, NEST's normal-deviate adaptor, goes: each draw uses a fresh
      one on the thread's generator. The per-synapse copy kept the second value of
      its last pair for the synapse's next draw; a fresh adaptor draws a new pair
      each time, so every draw depends only on the generator (a copy kept per
      thread would carry a value from one run into the next in the same process).

    Synapse classes only (NEST ``Connection`` templates); fails loudly where the
    generated code has another shape.
    """
    text = header.read_text()
    if "public Connection< targetidentifierT >" not in text:
        return                                  # a neuron, the module
    struct = _VARIABLES_STRUCT.search(text)
    if struct is None:
        raise RuntimeError(f"{header.name}: no Variables_ struct; NESTML's generated code "
                           "changed: update seqnest.pynest_ext.codegen")
    members = set(re.findall(r"double (\w+);", struct.group(1)))
    if not members <= _SCRATCH_VARIABLES or (
            "__P__x_pre__x_pre" in members and _SET_BEFORE_USE not in text):
        raise RuntimeError(f"{header.name}: internal variables {sorted(members)} are not "
                           "only the update's scratch; NESTML's generated code changed: "
                           "update seqnest.pynest_ext.codegen")
    text = _once(text, r"\n  Variables_  V_;  //!< Internal Variables\n",
                 "\n  inline static thread_local Variables_ V_;  //!< per thread: set before "
                 "every use\n", header.name)
    if "normal_dev_(" in text:
        text = _once(text, r"\n  normal_distribution normal_dev_; //!< random deviate generator\n",
                     "\n", header.name)
        text = text.replace("normal_dev_(", "normal_distribution()(")
    header.write_text(text)


def _once(text: str, pattern: str, replacement: str, where: str) -> str:
    """``text`` with the one match of ``pattern`` replaced; fails loudly if there is
    not exactly one (the generated code changed shape)."""
    out, n = re.subn(pattern, replacement, text, count=2)
    if n != 1:
        raise RuntimeError(f"{where}: expected one match of {pattern[:70]!r}, found {n}; "
                           "NESTML's generated code changed: update seqnest.pynest_ext.codegen")
    return out


def _one_input_buffer(header: Path, source: Path) -> None:
    """One multi-channel input buffer per neuron instead of two ring buffers per
    spike port.

    NESTML 9 gives every spike port a ``RingBuffer`` of weights and one of arrival
    flags, each on the heap, and copies them into two heap vectors of grid sums:
    six buffer reads per neuron and step for ``stm_neuron``'s three ports. NEST's
    own neurons keep one ``MultiChannelInputBuffer`` (e.g. ``iaf_psc_exp``): one
    slot index, one read of all channels, one reset per step. Here channel ``i``
    holds port ``i``'s summed weight and channel ``NUM_SPIKE_RECEPTORS + i`` its
    arrivals; the grid sums become arrays inside the neuron. The sums are formed
    in the same order as before, so spikes and states are bit-identical.
    """
    h, c = header.read_text(), source.read_text()
    where_h, where_c = header.name, source.name
    h = _once(h, r"(\n\s*)std::vector< nest::RingBuffer > spike_inputs_;",
              r"\1std::vector< nest::RingBuffer > spike_inputs_;"
              r"\1nest::MultiChannelInputBuffer< 2 * NUM_SPIKE_RECEPTORS > spike_channels_;",
              where_h)
    h = _once(h, r"#include <cmath>", "#include <array>\n#include <cmath>", where_h)
    for name in ("spike_inputs_grid_sum_", "spike_input_received_grid_sum_"):
        h, n = re.subn(rf"std::vector< double >& get_{name}\(\)",
                       f"std::array< double, NUM_SPIKE_RECEPTORS >& get_{name}()", h)
        if n != 2:
            raise RuntimeError(f"{where_h}: expected two getters of {name}, found {n}")
        h = _once(h, rf"std::vector< double > {name};",
                  f"std::array< double, NUM_SPIKE_RECEPTORS > {name}{{}};", where_h)
        c, n = re.subn(rf"\n\s*, {name}\( std::vector< double >\( NUM_SPIKE_RECEPTORS \) \)", "", c)
        if n != 2:
            raise RuntimeError(f"{where_c}: expected two initialisations of {name}, found {n}")
        c = _once(c, rf"get_{name}\(\)\.clear\(\);", f"get_{name}().fill( 0. );", where_c)
        c = _once(c, rf"\n\s*B_\.{name}\.resize\(NUM_SPIKE_RECEPTORS\);", "", where_c)
    c, n = re.subn(r"\n\s*, spike_input_received_\( std::vector< nest::RingBuffer >"
                   r"\( NUM_SPIKE_RECEPTORS \) \)", "", c)
    if n != 2:
        raise RuntimeError(f"{where_c}: expected two initialisations of spike_input_received_")
    c = _once(c, r'#include "nest_impl.h"', '#include "nest_impl.h"\n#include "ring_buffer_impl.h"',
              where_c)
    c = _once(c, r"get_spike_inputs_\(\)\.clear\(\);", "B_.spike_channels_.clear();", where_c)
    c = _once(c, r"\n\s*get_spike_input_received_\(\)\.clear\(\);", "", where_c)
    c = _once(c, r"B_\.spike_inputs_\.resize\(NUM_SPIKE_RECEPTORS\);",
              "B_.spike_channels_.resize();", where_c)
    c = _once(c, r"\n\s*B_\.spike_input_received_\.resize\(NUM_SPIKE_RECEPTORS\);", "", where_c)
    c = _once(c, r"for \(long i = 0; i < NUM_SPIKE_RECEPTORS; \+\+i\)\s*\{\s*"
                 r"get_spike_inputs_grid_sum_\(\)\[i\] = get_spike_inputs_\(\)\[i\]\.get_value\(lag\);\s*"
                 r"get_spike_input_received_grid_sum_\(\)\[i\] = "
                 r"get_spike_input_received_\(\)\[i\]\.get_value\(lag\);\s*\}",
              "{\n      const size_t slot = nest::kernel().event_delivery_manager.get_modulo( lag );\n"
              "      const auto& channels = B_.spike_channels_.get_values_all_channels( slot );\n"
              "      for ( size_t i = 0; i < NUM_SPIKE_RECEPTORS; ++i )\n      {\n"
              "        B_.spike_inputs_grid_sum_[ i ] = channels[ i ];\n"
              "        B_.spike_input_received_grid_sum_[ i ] = channels[ NUM_SPIKE_RECEPTORS + i ];\n"
              "      }\n      B_.spike_channels_.reset_values_all_channels( slot );\n    }", where_c)
    c = _once(c, r"B_\.spike_inputs_\[ nestml_buffer_idx - MIN_SPIKE_RECEPTOR \]\.add_value\(\s*"
                 r"e\.get_rel_delivery_steps\( nest::kernel\(\)\.simulation_manager\.get_slice_origin\(\) \),\s*"
                 r"weight \* e\.get_multiplicity\(\) \);\s*"
                 r"B_\.spike_input_received_\[ nestml_buffer_idx - MIN_SPIKE_RECEPTOR \]\.add_value\(\s*"
                 r"e\.get_rel_delivery_steps\( nest::kernel\(\)\.simulation_manager\.get_slice_origin\(\) \),\s*"
                 r"1\. \);",
              "const size_t slot = nest::kernel().event_delivery_manager.get_modulo(\n"
              "    e.get_rel_delivery_steps( nest::kernel().simulation_manager.get_slice_origin() ) );\n"
              "  B_.spike_channels_.add_value( slot, nestml_buffer_idx - MIN_SPIKE_RECEPTOR,\n"
              "    weight * e.get_multiplicity() );\n"
              "  B_.spike_channels_.add_value( slot, NUM_SPIKE_RECEPTORS + nestml_buffer_idx - "
              "MIN_SPIKE_RECEPTOR, 1. );", where_c)
    header.write_text(h)
    source.write_text(c)


def stim_variant(source: str) -> str:
    """``stm_neuron``'s NESTML source turned into ``stm_neuron_stim``: the same model
    plus ``I_stim pA <- continuous``, added to the somatic current."""
    steps = [
        (re.compile(rf"^model {NEURON}:", re.M), f"model {STIM_NEURON}:"),
        (re.compile(r"^(\s*V_m' = .*\+ I_e)\) / C_m\s*$", re.M), r"\1 + I_stim) / C_m"),
        (re.compile(r"^(\s*)(inh_spikes <- spike)\s*$", re.M),
         r"\1\2\n\1I_stim pA <- continuous    # current generators (noise, oscillations)"),
    ]
    header = (f"# {STIM_NEURON}: generated from {NEURON}.nestml by seqnest.pynest_ext.codegen; the same\n"
              "# model with a continuous current input I_stim added to the soma (NEST current\n"
              "# generators; background noise and oscillations of Bouhadjar et al. 2023,\n"
              "# PLoS Comput Biol 19: e1010989).\n")
    for pattern, replacement in steps:
        source, n = pattern.subn(replacement, source)
        if n != 1:
            raise RuntimeError(f"{NEURON}.nestml changed where {STIM_NEURON} is derived "
                               f"(pattern {pattern.pattern!r}); update seqnest.pynest_ext.codegen")
    return header + source


#: NESTML 9's generated synapses end the whole process (``exit(1)``) when they are
#: connected to a neuron they were not generated with; a Jupyter kernel dies.
_WRONG_NEURON = re.compile(
    r'std::cerr\s*<<\s*"(wrong type of neuron connected![^"\\]*)(?:\\n)?";\s*exit\(\s*1\s*\);')


def _raise_instead_of_exit(header: Path) -> None:
    """Make a wrong neuron-synapse pairing a NEST ``IllegalConnection`` error.

    The generated ``check_connection`` prints a message and calls ``exit(1)``;
    this replaces both with ``throw nest::IllegalConnection(message)``, which
    PyNEST raises as a Python exception. Fails if the message is there but the
    pattern no longer matches (a NESTML change to look at).
    """
    text = header.read_text()
    if "wrong type of neuron connected" not in text:
        return
    patched, n = _WRONG_NEURON.subn(
        lambda m: f'throw nest::IllegalConnection("{m.group(1).strip()}");', text)
    if n == 0:
        raise RuntimeError(f"{header.name}: NESTML's wrong-neuron check changed; "
                           "update seqnest.pynest_ext.codegen._WRONG_NEURON")
    header.write_text(patched)


#: A co-generated synapse registers with its neuron through the neuron's own
#: spike history; after the rename below it calls this member instead.
NESTML_REGISTER = "register_nestml_stdp_connection"
_REGISTER_CALL = re.compile(r"\bt\.register_stdp_connection\(")
_NEURON_CAST = re.compile(r"dynamic_cast<\s*(\w+)\s*&\s*>\(\s*t\s*\)")


def _separate_spike_histories(target_dir: Path) -> None:
    """Let NEST's built-in STDP synapses target the co-generated neurons.

    NESTML's co-generated neuron overrides NEST's virtual
    ``register_stdp_connection`` with one that counts incoming synapses in its
    own spike history. A built-in ``stdp_synapse`` (the plastic input synapses
    of the spatio-temporal-pattern network) then registers there too, NEST's
    ``ArchivingNode`` never learns of it, keeps no postsynaptic spikes, and the
    synapse never changes. Renaming the neuron's member to
    :data:`NESTML_REGISTER`, and calling that from the co-generated synapses
    through the neuron type they are checked against, gives each kind of
    synapse its own history: NESTML synapses the neuron's, built-in ones NEST's
    (kept only while such a synapse is connected, so networks without one pay
    nothing).
    """
    paired = [p for p in target_dir.glob("*__with_*.h")]
    neurons = {p.stem for p in paired if (target_dir / f"{p.stem}.cpp").exists()}
    for name in sorted(neurons):
        for path in (target_dir / f"{name}.h", target_dir / f"{name}.cpp"):
            text = path.read_text()
            patched = re.sub(r"\bregister_stdp_connection\b", NESTML_REGISTER, text)
            if patched == text:
                raise RuntimeError(f"{path.name}: NESTML's register_stdp_connection changed; "
                                   "update seqnest.pynest_ext.codegen._separate_spike_histories")
            path.write_text(patched)
    for path in paired:
        if path.stem in neurons:
            continue
        text = path.read_text()
        if not _REGISTER_CALL.search(text):
            continue
        cast = _NEURON_CAST.search(text)
        if cast is None or cast.group(1) not in neurons:
            raise RuntimeError(f"{path.name}: cannot find the neuron this synapse is checked "
                               "against; update seqnest.pynest_ext.codegen._separate_spike_histories")
        path.write_text(_REGISTER_CALL.sub(
            f"static_cast< {cast.group(1)}& >( t ).{NESTML_REGISTER}(", text))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", required=True, type=Path, help="folder of .nestml files")
    parser.add_argument("--target", required=True, type=Path, help="output folder for C++ code")
    parser.add_argument("--module-name", default=MODULE_NAME)
    parser.add_argument("--logging-level", default="WARNING",
                        choices=["DEBUG", "INFO", "WARNING", "ERROR", "NO"])
    args = parser.parse_args(argv)
    os.environ.setdefault("PYNEST_QUIET", "1")  # NESTML imports NEST to read its version
    # NESTML prints progress on stdout; keep CMake's output readable.
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            generate(args.models, args.target, args.module_name, args.logging_level)
    except Exception as exc:  # reported to CMake as one line plus NESTML's log
        sys.stderr.write(out.getvalue())
        print(f"error: code generation failed: {exc}", file=sys.stderr)
        return 1
    sys.stderr.write(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
