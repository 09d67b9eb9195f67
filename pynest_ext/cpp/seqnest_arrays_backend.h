/*
 *  seqnest_arrays_backend.h
 *
 *  Part of seqnest. SPDX-License-Identifier: GPL-2.0-or-later
 *
 *  A NEST recording backend, "seqnest_arrays", for the final read of the
 *  E->E synapses (seqnest.pynest_ext.networks.simulation, Simulated._read_by_wave).
 *
 *  A weight_recorder that records to it keeps, per thread, three plain arrays:
 *  the sender and target node ids and the weight of every event. Python reads
 *  them through the C functions at the end of this file (ctypes, no copy
 *  element by element): PyNEST's "memory" backend hands a recorder's events to
 *  Python one number at a time (75-100 ns per number, six numbers per event),
 *  which was most of the read's time.
 *
 *  One recorder at a time: every device enrolled writes into the same arrays.
 *  Times, receptors and ports are not kept. Included once, by the module's
 *  source, which registers the backend in its initialize().
 */

#ifndef SEQNEST_ARRAYS_BACKEND_H
#define SEQNEST_ARRAYS_BACKEND_H

#include <cstddef>
#include <string>
#include <vector>

#include "event.h"
#include "kernel_manager.h"
#include "recording_backend.h"
#include "recording_device.h"
#include "vp_manager_impl.h"

namespace seqnest
{

struct ArrayColumns
{
  std::vector< long > senders;
  std::vector< long > targets;
  std::vector< double > values;
};

/** Per-thread columns, shared by the backend object and the C functions below
 *  (the backend object is recreated at every kernel reset; the columns stay). */
inline std::vector< ArrayColumns >&
array_columns()
{
  static std::vector< ArrayColumns > columns;
  return columns;
}

/** Where the weight_recorder's target id and weight are among its values. */
struct ArrayValueIndex
{
  long target = -1;
  long weight = -1;
};

inline ArrayValueIndex&
array_value_index()
{
  static ArrayValueIndex index;
  return index;
}

class ArrayRecordingBackend : public nest::RecordingBackend
{
public:
  void
  initialize() override
  {
    array_columns().clear();
    array_columns().resize( nest::kernel().vp_manager.get_num_threads() );
  }

  void
  finalize() override
  {
  }

  void
  enroll( const nest::RecordingDevice&, const ::Dictionary& ) override
  {
  }

  void
  disenroll( const nest::RecordingDevice& ) override
  {
  }

  void
  set_value_names( const nest::RecordingDevice&,
    const std::vector< std::string >& double_names,
    const std::vector< std::string >& long_names ) override
  {
    ArrayValueIndex& index = array_value_index();
    index = ArrayValueIndex();
    for ( size_t i = 0; i < long_names.size(); ++i )
    {
      if ( long_names[ i ] == "targets" )
      {
        index.target = static_cast< long >( i );
      }
    }
    for ( size_t i = 0; i < double_names.size(); ++i )
    {
      if ( double_names[ i ] == "weights" )
      {
        index.weight = static_cast< long >( i );
      }
    }
  }

  void
  prepare() override
  {
    const size_t threads = nest::kernel().vp_manager.get_num_threads();
    if ( array_columns().size() != threads )
    {
      array_columns().resize( threads );
    }
  }

  void
  cleanup() override
  {
  }

  void
  write( const nest::RecordingDevice& device,
    const nest::Event& event,
    const std::vector< double >& double_values,
    const std::vector< long >& long_values ) override
  {
    const ArrayValueIndex& index = array_value_index();
    ArrayColumns& columns = array_columns()[ device.get_thread() ];
    columns.senders.push_back( static_cast< long >( event.get_sender_node_id() ) );
    columns.targets.push_back( index.target >= 0 ? long_values[ index.target ] : -1 );
    columns.values.push_back( index.weight >= 0 ? double_values[ index.weight ] : 0.0 );
  }

  void
  pre_run_hook() override
  {
  }

  void
  post_run_hook() override
  {
  }

  void
  post_step_hook() override
  {
  }

  void
  set_status( const ::Dictionary& ) override
  {
  }

  void
  get_status( ::Dictionary& ) const override
  {
  }

  void
  check_device_status( const ::Dictionary& ) const override
  {
  }

  void
  get_device_defaults( ::Dictionary& ) const override
  {
  }

  void
  get_device_status( const nest::RecordingDevice&, ::Dictionary& ) const override
  {
  }
};

/** Register the backend with the kernel (again after each reset); a second
 *  registration in the same kernel is ignored. */
inline void
register_array_backend()
{
  try
  {
    nest::kernel().io_manager.register_recording_backend< ArrayRecordingBackend >( "seqnest_arrays" );
  }
  catch ( nest::KernelException& )
  {
  }
}

}  // namespace seqnest

extern "C"
{
  /** Number of threads with columns. */
  size_t
  seqnest_arrays_threads()
  {
    return seqnest::array_columns().size();
  }

  /** Events recorded by thread tid. */
  size_t
  seqnest_arrays_size( size_t tid )
  {
    return tid < seqnest::array_columns().size() ? seqnest::array_columns()[ tid ].values.size() : 0;
  }

  const long*
  seqnest_arrays_senders( size_t tid )
  {
    return seqnest::array_columns()[ tid ].senders.data();
  }

  const long*
  seqnest_arrays_targets( size_t tid )
  {
    return seqnest::array_columns()[ tid ].targets.data();
  }

  const double*
  seqnest_arrays_values( size_t tid )
  {
    return seqnest::array_columns()[ tid ].values.data();
  }

  /** Whether the recorder's values were found: 1 if both the target ids and the
   *  weights are recorded. */
  int
  seqnest_arrays_complete()
  {
    return seqnest::array_value_index().target >= 0 and seqnest::array_value_index().weight >= 0;
  }

  /** Drop every recorded event (memory is kept for the next wave). */
  void
  seqnest_arrays_clear()
  {
    for ( auto& columns : seqnest::array_columns() )
    {
      columns.senders.clear();
      columns.targets.clear();
      columns.values.clear();
    }
  }
}

#endif /* SEQNEST_ARRAYS_BACKEND_H */
