/*
 *  seqnest_synapse_reader.h
 *
 *  Part of seqnest. SPDX-License-Identifier: GPL-2.0-or-later
 *
 *  Reads the state of every connection of one synapse model of this module
 *  into plain arrays (source and target node ids, and the requested state
 *  variables and per-synapse parameters, sorted by target), without building
 *  a status dictionary per connection and without changing anything: about
 *  50-150 ns per synapse instead of the 5-10 us of PyNEST's GetStatus. The
 *  same for the state variables of this module's neurons (seqnest_nodes_read:
 *  NEST builds a dictionary of some 60 entries per neuron for GetStatus).
 *
 *  NEST keeps the connections in private members (ConnectionManager's
 *  per-thread connectors, each Connector's block vector of connection
 *  objects). They are reached here through pointers to members formed in
 *  explicit template instantiations, where access checking does not apply
 *  (C++ [temp.spec]); the layout is NEST's own, read through its own types.
 *  The generated synapse classes are made to expose their getters by the
 *  code generation step (pynest_ext/codegen.py), which also lists, per
 *  synapse class, the getters this reader may call (add_reader below).
 *
 *  Python (seqnest.pynest_ext.array_backend) calls the C functions at the
 *  end through ctypes, on the rank's own connections, while NEST is idle.
 */
#ifndef SEQNEST_SYNAPSE_READER_H
#define SEQNEST_SYNAPSE_READER_H

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "connection_manager.h"
#include "connector_base.h"
#include "kernel_manager.h"
#include "node.h"
#include "target_identifier.h"

namespace seqnest
{

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-template-friend"
// member(Tag()) returns the member pointer Tag names; defined by the explicit
// instantiation of Steal< Tag, &Class::member > below.
template < class Tag, typename Tag::type M >
struct Steal
{
  friend typename Tag::type
  member( Tag )
  {
    return M;
  }
};

struct ConnectorsOf
{
  using type = std::vector< std::vector< nest::ConnectorBase* > > nest::ConnectionManager::*;
  friend type member( ConnectorsOf );
};

template < class C >
struct BlocksOf
{
  using type = BlockVector< C > nest::Connector< C >::*;
  friend type member( BlocksOf );
};
#pragma GCC diagnostic pop

template struct Steal< ConnectorsOf, &nest::ConnectionManager::connections_ >;

//! The getter of ``name`` among ``fields`` (nullptr: there is none).
template < class Accessor >
Accessor
find_getter( const std::vector< std::pair< std::string, Accessor > >& fields, const std::string& name )
{
  for ( const auto& field : fields )
  {
    if ( field.first == name )
    {
      return field.second;
    }
  }
  return nullptr;
}

//! What the last read produced: rows in thread order, then connection order.
struct SynapseRead
{
  std::vector< long > sources;
  std::vector< long > targets;
  std::vector< std::vector< double > > columns;

  void
  clear()
  {
    std::vector< long >().swap( sources );
    std::vector< long >().swap( targets );
    std::vector< std::vector< double > >().swap( columns );
  }
};

inline SynapseRead&
synapse_read()
{
  static SynapseRead read;
  return read;
}

/* Hand the rows of ``read`` over in (target, source) order, written straight
 * into the caller's arrays: a stable counting sort by target. Each thread holds
 * its targets' connections sorted by source once NEST has simulated, and a
 * target's connections are on one thread, so the result is then sorted by source
 * within each target too. Returns 1 if it is (checked), else 0 (the caller sorts). */
inline int
scatter_by_target( SynapseRead& read, long* sources, long* targets, double* const* columns )
{
  const size_t n = read.targets.size();
  if ( n == 0 )
  {
    return 1;
  }
  long low = read.targets[ 0 ], high = read.targets[ 0 ];
  for ( long t : read.targets )
  {
    low = std::min( low, t );
    high = std::max( high, t );
  }
  const size_t width = static_cast< size_t >( high - low ) + 1;
  std::vector< size_t > next( width + 1, 0 );
  for ( long t : read.targets )
  {
    ++next[ static_cast< size_t >( t - low ) + 1 ];
  }
  for ( size_t k = 1; k <= width; ++k )
  {
    next[ k ] += next[ k - 1 ];
  }
  std::vector< long > last( width, -1 );
  int sorted = 1;
  for ( size_t i = 0; i < n; ++i )
  {
    const size_t bucket = static_cast< size_t >( read.targets[ i ] - low );
    const size_t at = next[ bucket ]++;
    sources[ at ] = read.sources[ i ];
    targets[ at ] = read.targets[ i ];
    for ( size_t j = 0; j < read.columns.size(); ++j )
    {
      columns[ j ][ at ] = read.columns[ j ][ i ];
    }
    if ( read.sources[ i ] < last[ bucket ] )
    {
      sorted = 0;
    }
    last[ bucket ] = read.sources[ i ];
  }
  read.clear();
  return sorted;
}

//! One synapse class's reader (type-erased).
class Reader
{
public:
  virtual ~Reader() = default;
  //! -1: connector not of this class; -2: a name it does not have; else rows added
  virtual long read( nest::ConnectorBase* connector,
    size_t tid,
    nest::synindex syn_id,
    const std::vector< std::string >& names,
    SynapseRead& out ) const = 0;
  //! -1: not of this class; -2: a name without setter; else rows written. Row i
  //! of target t (in connection order) takes values[ j ][ ( t - first ) * per_target + k ]
  //! where k counts t's earlier rows (``seen``).
  virtual long write( nest::ConnectorBase* connector,
    size_t tid,
    const std::vector< std::string >& names,
    const double* const* values,
    long first,
    long per_target,
    std::vector< long >& seen ) const = 0;
  //! Rows per target among first .. first + seen.size() - 1 (-1: not of this class,
  //! -3: a target outside that range).
  virtual long count( nest::ConnectorBase* connector, size_t tid, long first, std::vector< long >& seen ) const = 0;
};

template < class C >
class ReaderOf : public Reader
{
public:
  using Getter = double ( C::* )() const;
  using Setter = void ( C::* )( double );

  ReaderOf( std::vector< std::pair< std::string, Getter > > fields,
    std::vector< std::pair< std::string, Setter > > setters )
    : fields_( std::move( fields ) )
    , setters_( std::move( setters ) )
  {
  }

  long
  count( nest::ConnectorBase* connector, size_t tid, long first, std::vector< long >& seen ) const override
  {
    auto* typed = dynamic_cast< nest::Connector< C >* >( connector );
    if ( typed == nullptr )
    {
      return -1;
    }
    const BlockVector< C >& block = typed->*member( BlocksOf< C >() );
    for ( size_t lcid = 0; lcid < block.size(); ++lcid )
    {
      const long t = static_cast< long >( block[ lcid ].get_target( tid )->get_node_id() ) - first;
      if ( t < 0 or t >= static_cast< long >( seen.size() ) )
      {
        return -3;
      }
      ++seen[ t ];
    }
    return static_cast< long >( block.size() );
  }

  long
  write( nest::ConnectorBase* connector,
    size_t tid,
    const std::vector< std::string >& names,
    const double* const* values,
    long first,
    long per_target,
    std::vector< long >& seen ) const override
  {
    auto* typed = dynamic_cast< nest::Connector< C >* >( connector );
    if ( typed == nullptr )
    {
      return -1;
    }
    std::vector< Setter > setters;
    for ( const auto& name : names )
    {
      setters.push_back( find_getter( setters_, name ) );
      if ( setters.back() == nullptr )
      {
        return -2;
      }
    }
    BlockVector< C >& block = typed->*member( BlocksOf< C >() );
    for ( size_t lcid = 0; lcid < block.size(); ++lcid )
    {
      C& c = block[ lcid ];
      const long t = static_cast< long >( c.get_target( tid )->get_node_id() ) - first;
      const long at = t * per_target + seen[ t ]++;
      for ( size_t j = 0; j < setters.size(); ++j )
      {
        ( c.*setters[ j ] )( values[ j ][ at ] );
      }
    }
    return static_cast< long >( block.size() );
  }

  long
  read( nest::ConnectorBase* connector,
    size_t tid,
    nest::synindex syn_id,
    const std::vector< std::string >& names,
    SynapseRead& out ) const override
  {
    auto* typed = dynamic_cast< nest::Connector< C >* >( connector );
    if ( typed == nullptr )
    {
      return -1;
    }
    std::vector< Getter > getters;
    for ( const auto& name : names )
    {
      getters.push_back( find_getter( fields_, name ) );
      if ( getters.back() == nullptr )
      {
        return -2;
      }
    }
    const BlockVector< C >& block = typed->*member( BlocksOf< C >() );
    const size_t n = block.size();
    long rows = 0;
    for ( size_t lcid = 0; lcid < n; ++lcid )
    {
      const C& c = block[ lcid ];
      if ( c.is_disabled() )
      {
        continue;
      }
      out.sources.push_back(
        static_cast< long >( nest::kernel().connection_manager.get_source_node_id( tid, syn_id, lcid ) ) );
      out.targets.push_back( static_cast< long >( c.get_target( tid )->get_node_id() ) );
      for ( size_t k = 0; k < getters.size(); ++k )
      {
        out.columns[ k ].push_back( ( c.*getters[ k ] )() );
      }
      ++rows;
    }
    return rows;
  }

private:
  std::vector< std::pair< std::string, Getter > > fields_;
  std::vector< std::pair< std::string, Setter > > setters_;
};

//! The registered readers of one kind (Reader: synapses; NodeReader: neurons).
template < class Base >
std::vector< std::unique_ptr< Base > >&
registry()
{
  static std::vector< std::unique_ptr< Base > > all;
  return all;
}

template < class C >
bool
add_reader( std::vector< std::pair< std::string, double ( C::* )() const > > fields,
  std::vector< std::pair< std::string, void ( C::* )( double ) > > setters )
{
  registry< Reader >().emplace_back( new ReaderOf< C >( std::move( fields ), std::move( setters ) ) );
  return true;
}

//! The last read of node states: node ids of this process's nodes, and columns.
struct NodeRead
{
  std::vector< long > ids;
  std::vector< std::vector< double > > columns;
};

inline NodeRead&
node_read()
{
  static NodeRead read;
  return read;
}

//! One neuron class's reader (type-erased); -1: not of this class, -2: unknown name.
class NodeReader
{
public:
  virtual ~NodeReader() = default;
  virtual long read( nest::Node* node, const std::vector< std::string >& names, NodeRead& out ) const = 0;
};

template < class C >
class NodeReaderOf : public NodeReader
{
public:
  using Getter = double ( C::* )() const;

  explicit NodeReaderOf( std::vector< std::pair< std::string, Getter > > fields )
    : fields_( std::move( fields ) )
  {
  }

  long
  read( nest::Node* node, const std::vector< std::string >& names, NodeRead& out ) const override
  {
    const C* typed = dynamic_cast< const C* >( node );
    if ( typed == nullptr )
    {
      return -1;
    }
    for ( size_t k = 0; k < names.size(); ++k )
    {
      const Getter found = find_getter( fields_, names[ k ] );
      if ( found == nullptr )
      {
        return -2;
      }
      out.columns[ k ].push_back( ( typed->*found )() );
    }
    out.ids.push_back( static_cast< long >( node->get_node_id() ) );
    return 1;
  }

private:
  std::vector< std::pair< std::string, Getter > > fields_;
};

template < class C >
bool
add_node_reader( std::vector< std::pair< std::string, double ( C::* )() const > > fields )
{
  registry< NodeReader >().emplace_back( new NodeReaderOf< C >( std::move( fields ) ) );
  return true;
}

inline std::vector< std::string >
split_names( const char* names )
{
  std::vector< std::string > wanted;
  std::stringstream list( names );
  std::string name;
  while ( std::getline( list, name, ',' ) )
  {
    if ( not name.empty() )
    {
      wanted.push_back( name );
    }
  }
  return wanted;
}

} // namespace seqnest

extern "C"
{
  /* The ``names`` (comma-separated state variables) of this process's nodes with
   * ids first .. first + count - 1, all of one of this module's neuron classes.
   * Returns the number of rows; -1: a node of another class; -2: a name it does
   * not have. */
  long
  seqnest_nodes_read( long first, long count, const char* names )
  {
    seqnest::NodeRead& out = seqnest::node_read();
    out.ids.clear();
    out.columns.clear();
    const std::vector< std::string > wanted = seqnest::split_names( names );
    out.columns.resize( wanted.size() );
    for ( long id = first; id < first + count; ++id )
    {
      nest::Node* node = nest::kernel().node_manager.get_node_or_proxy( static_cast< size_t >( id ) );
      if ( node == nullptr or node->is_proxy() )
      {
        continue;
      }
      long got = -1;
      for ( const auto& reader : seqnest::registry< seqnest::NodeReader >() )
      {
        got = reader->read( node, wanted, out );
        if ( got != -1 )
        {
          break;
        }
      }
      if ( got < 0 )
      {
        out.ids.clear();
        out.columns.clear();
        return got;
      }
    }
    return static_cast< long >( out.ids.size() );
  }

  const long*
  seqnest_nodes_ids()
  {
    return seqnest::node_read().ids.data();
  }

  const double*
  seqnest_nodes_column( size_t k )
  {
    return seqnest::node_read().columns.at( k ).data();
  }

  /* Read every connection of synapse model ``syn_id`` on this process: the
   * comma-separated ``names`` of its state variables and per-synapse
   * parameters. Returns the number of rows; -1: the model is not one of this
   * module's synapse classes; -2: a name it does not have. */
  long
  seqnest_synapses_read( long syn_id, const char* names )
  {
    seqnest::SynapseRead& out = seqnest::synapse_read();
    out.clear();
    const std::vector< std::string > wanted = seqnest::split_names( names );
    out.columns.resize( wanted.size() );
    const auto& per_thread = nest::kernel().connection_manager.*member( seqnest::ConnectorsOf() );
    const nest::synindex id = static_cast< nest::synindex >( syn_id );
    size_t capacity = 0;
    for ( const auto& connectors : per_thread )
    {
      if ( connectors.size() > id and connectors[ id ] != nullptr )
      {
        capacity += connectors[ id ]->size();
      }
    }
    out.sources.reserve( capacity );
    out.targets.reserve( capacity );
    for ( auto& column : out.columns )
    {
      column.reserve( capacity );
    }
    long total = 0;
    for ( size_t tid = 0; tid < per_thread.size(); ++tid )
    {
      if ( per_thread[ tid ].size() <= id or per_thread[ tid ][ id ] == nullptr )
      {
        continue;
      }
      long rows = -1;
      for ( const auto& reader : seqnest::registry< seqnest::Reader >() )
      {
        rows = reader->read( per_thread[ tid ][ id ], tid, id, wanted, out );
        if ( rows != -1 )
        {
          break;
        }
      }
      if ( rows < 0 )
      {
        out.clear();
        return rows;
      }
      total += rows;
    }
    return total;
  }

  /* Set the comma-separated ``names`` (state variables, per-synapse parameters) of
   * every connection of synapse model ``syn_id`` on this process, all made by one
   * fixed-indegree Connect onto the contiguous targets first .. first + n_targets - 1
   * and not yet simulated (connection order is creation order then): the k-th
   * connection of target t takes values[ j ][ ( t - first ) * per_target + k ], as
   * NEST's own array parameters of that rule would give it. Returns the rows
   * written; -1: not one of this module's synapse classes; -2: a name without
   * setter; -3: a connection outside the targets; -4: a local target without
   * exactly per_target connections. Nothing is written unless all is well. */
  long
  seqnest_synapses_write( long syn_id,
    const char* names,
    const double* const* values,
    long first,
    long n_targets,
    long per_target )
  {
    const std::vector< std::string > wanted = seqnest::split_names( names );
    const auto& per_thread = nest::kernel().connection_manager.*member( seqnest::ConnectorsOf() );
    const nest::synindex id = static_cast< nest::synindex >( syn_id );
    std::vector< std::pair< nest::ConnectorBase*, const seqnest::Reader* > > found;
    std::vector< long > seen( static_cast< size_t >( n_targets ), 0 );
    for ( size_t tid = 0; tid < per_thread.size(); ++tid )
    {
      if ( per_thread[ tid ].size() <= id or per_thread[ tid ][ id ] == nullptr )
      {
        continue;
      }
      long rows = -1;
      for ( const auto& reader : seqnest::registry< seqnest::Reader >() )
      {
        rows = reader->count( per_thread[ tid ][ id ], tid, first, seen );
        if ( rows != -1 )
        {
          found.emplace_back( per_thread[ tid ][ id ], reader.get() );
          break;
        }
      }
      if ( rows < 0 )
      {
        return rows;
      }
    }
    for ( long c : seen )
    {
      if ( c != 0 and c != per_target )
      {
        return -4;
      }
    }
    std::fill( seen.begin(), seen.end(), 0 );
    long total = 0;
    for ( size_t tid = 0, f = 0; tid < per_thread.size() and f < found.size(); ++tid )
    {
      if ( per_thread[ tid ].size() <= id or per_thread[ tid ][ id ] != found[ f ].first )
      {
        continue;
      }
      const long rows = found[ f ].second->write( found[ f ].first, tid, wanted, values, first, per_target, seen );
      if ( rows < 0 )
      {
        return rows;
      }
      total += rows;
      ++f;
    }
    return total;
  }

  /* The rows of the last seqnest_synapses_read, in (target, source) order, into
   * the caller's arrays (as many rows as it returned; one array per name);
   * then cleared. Returns 1 if the order is (target, source), 0 if only by target. */
  int
  seqnest_synapses_take( long* sources, long* targets, double* const* columns )
  {
    return seqnest::scatter_by_target( seqnest::synapse_read(), sources, targets, columns );
  }

  void
  seqnest_synapses_clear()
  {
    seqnest::synapse_read().clear();
  }
}

#endif
