// Internal to the fill translation units: fills whose target has offset tables on some axes
// (index arrays: out = full[np.ix_(...)]).
//
// The out positions are cut into rows and runs. The run is the longest trailing group of axes
// without a table that is contiguous both in the full tensor (logical stride 1 on the last, each
// earlier one the product of the later lengths) and in memory (one byte stride); every other axis
// is a row axis. A row's run is a contiguous stretch of the stream starting at origin plus the
// sum of its row axes' contributions, so it is computed like a piece of a contiguous fill (stream
// words, transform, store). Rows run in parallel; short rows are batched, their words computed
// together and transformed in one call.
#pragma once
#include "fill.hpp"

namespace fastinit {
namespace detail {

// fill_random for a target with at least one offset table (same contract).
bool fill_gather(const Target& t, const KernelTable& kernels, const StreamKey& key, const Distribution& dist,
                 int threads, const KeepGoing& keep_going) noexcept;

}  // namespace detail
}  // namespace fastinit
