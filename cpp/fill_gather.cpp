// Fills with offset tables (index arrays): rows of the stream at arbitrary positions, see
// fill_gather.hpp.
#include "fill_gather.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "fill_runs.hpp"

namespace fastinit {
namespace detail {
namespace {

// An axis that is not part of the run: a table, or a progression of logical stride lstride.
struct RowAxis {
  int64_t n;
  int64_t stride;  // bytes
  uint64_t lstride;
  const uint64_t* table;
};

inline constexpr uint64_t kMaxPiece = uint64_t{1} << 16;  // a longer run is cut into work items of this many elements
inline constexpr std::size_t kBatchBlocks = 2 * kTile / 4;  // Philox blocks of a batch: its words fit words_

struct GatherPlan {
  std::vector<RowAxis> rows;  // outer first
  uint64_t origin = 0;        // with length-1 axes' table entries added
  uint64_t row_count = 1;
  uint64_t run = 1;            // elements per run
  int64_t run_stride = 0;      // bytes from one element of a run to the next
  uint64_t piece = 1;          // elements per work item (<= run)
  uint64_t pieces = 1;         // work items per run
};

GatherPlan plan_gather(const Target& t) {
  GatherPlan p;
  p.origin = t.origin;
  std::vector<RowAxis> axes;
  for (std::size_t k = 0; k < t.shape.size(); ++k) {
    const uint64_t* table = t.offsets.empty() ? nullptr : t.offsets[k].data;
    if (t.shape[k] == 1) {
      if (table != nullptr) p.origin += table[0];
      continue;
    }
    axes.push_back({t.shape[k], t.byte_strides[k], t.logical_strides[k], table});
  }
  p.run_stride = static_cast<int64_t>(itemsize(t.fmt));
  std::size_t r = axes.size();
  for (; r > 0; --r) {
    const RowAxis& a = axes[r - 1];
    if (a.table != nullptr || a.lstride != p.run) break;
    if (p.run > 1 && a.stride != p.run_stride * static_cast<int64_t>(p.run)) break;
    if (p.run == 1) p.run_stride = a.stride;
    p.run *= static_cast<uint64_t>(a.n);
  }
  p.rows.assign(axes.begin(), axes.begin() + static_cast<std::ptrdiff_t>(r));
  for (const RowAxis& a : p.rows) p.row_count *= static_cast<uint64_t>(a.n);
  p.piece = std::min(p.run, kMaxPiece);
  p.pieces = (p.run + p.piece - 1) / p.piece;
  return p;
}

// The rows in order: where each one's run starts in memory and in the stream.
class RowWalker {
 public:
  RowWalker(const Target& t, const GatherPlan& p, uint64_t row) : data_(t.data), p_(p), idx_(p.rows.size(), 0) {
    for (std::size_t k = idx_.size(); k-- > 0;) {
      const auto n = static_cast<uint64_t>(p.rows[k].n);
      idx_[k] = row % n;
      row /= n;
    }
  }

  char* ptr() const {
    char* q = data_;
    for (std::size_t k = 0; k < idx_.size(); ++k) q += static_cast<int64_t>(idx_[k]) * p_.rows[k].stride;
    return q;
  }

  uint64_t element() const {
    uint64_t e = p_.origin;
    for (std::size_t k = 0; k < idx_.size(); ++k) {
      const RowAxis& a = p_.rows[k];
      e += a.table != nullptr ? a.table[idx_[k]] : idx_[k] * a.lstride;
    }
    return e;
  }

  void next() {
    for (std::size_t k = idx_.size(); k-- > 0;) {
      if (++idx_[k] < static_cast<uint64_t>(p_.rows[k].n) || k == 0) return;
      idx_[k] = 0;
    }
  }

 private:
  char* data_;
  const GatherPlan& p_;
  std::vector<uint64_t> idx_;
};

void scatter(char* dst, int64_t stride, const unsigned char* src, std::size_t is, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) std::memcpy(dst + static_cast<int64_t>(i) * stride, src + i * is, is);
}

// Runs of one thread's work: short ones are collected into a batch (at most kTile elements and
// kBatchBlocks Philox blocks) whose blocks are computed in one vectorized call (kernels.block_words:
// many short runs cost what the same number of consecutive blocks does) and whose values are
// transformed in one call; long ones go alone, kTile elements at a time, as in a contiguous fill.
class Batcher {
 public:
  Batcher(const KernelTable& kernels, const StreamKey& key, const Distribution& dist, Format fmt, int64_t stride,
          bool streaming)
      : k_(kernels), key_(key), dist_(dist), fmt_(fmt), is_(itemsize(fmt)), wpe_(words_per_element(fmt)),
        stride_(stride), streaming_(streaming), bits_(dist.kind == Kind::Bits),
        contiguous_(stride == static_cast<int64_t>(itemsize(fmt))) {}

  // Elements e .. e + m - 1 of the stream to ptr, ptr + stride, ...
  void add(char* ptr, uint64_t e, uint64_t m) {
    if (m > kTile / 2) {
      flush();
      alone(ptr, e, m);
      return;
    }
    // Its n words j0 .. j0 + n - 1, the last of which may be 2**64 - 1 (float64 element 2**63 - 1),
    // so their end j0 + n is not formed: they are the words skip .. skip + n - 1 of the blocks
    // b0 .. b0 + blocks - 1 (at most 2**62 - 1), counted from the small numbers skip and n.
    const uint64_t j0 = e * wpe_, n = m * wpe_;
    const uint64_t b0 = j0 / 4, skip = j0 % 4, blocks = (skip + n + 3) / 4;
    if (elements_ + m > kTile || blocks_ + blocks > kBatchBlocks) flush();
    adjacent_ = adjacent_ && (entries_ == 0 ? reinterpret_cast<uintptr_t>(ptr) % is_ == 0 : ptr == end_);
    end_ = ptr + static_cast<int64_t>(m) * stride_;
    ptr_[entries_] = ptr;
    skip_[entries_] = static_cast<uint8_t>(skip);
    count_[entries_] = static_cast<uint32_t>(m);
    whole_blocks_ = whole_blocks_ && skip == 0 && n % 4 == 0;
    ++entries_;
    elements_ += static_cast<std::size_t>(m);
    for (uint64_t i = 0; i < blocks; ++i) block_[blocks_++] = b0 + i;
  }

  void flush() {
    if (entries_ == 0) return;
    batch_words();
    const bool adjacent = contiguous_ && adjacent_;  // the runs follow each other in memory
    if (adjacent && !streaming_ && !bits_) {
      k_.transform(dist_, fmt_, words_, elements_, ptr_[0]);
    } else {
      const unsigned char* src = reinterpret_cast<const unsigned char*>(words_);
      if (!bits_) {
        k_.transform(dist_, fmt_, words_, elements_, values_);
        src = values_;
      }
      if (adjacent) copy(ptr_[0], src, elements_ * is_);
      else store(src);
    }
    entries_ = 0;
    elements_ = 0;
    blocks_ = 0;
    whole_blocks_ = true;
    adjacent_ = true;
  }

 private:
  // The batch's words, one run after another: the blocks that hold them in one vectorized call,
  // written in place when every run starts and ends on a block, else cut from a scratch copy.
  void batch_words() {
    if (whole_blocks_) {
      k_.block_words(key_, block_, blocks_, words_);
      return;
    }
    k_.block_words(key_, block_, blocks_, scratch_);
    const uint32_t* src = scratch_;
    uint32_t* w = words_;
    for (std::size_t i = 0; i < entries_; ++i) {
      const std::size_t n = count_[i] * wpe_;
      std::memcpy(w, src + skip_[i], n * sizeof(uint32_t));
      w += n;
      src += 4 * ((skip_[i] + n + 3) / 4);
    }
  }

  // The batch's values from src to their runs; runs that follow each other in memory in one copy.
  void store(const unsigned char* src) {
    for (std::size_t i = 0; i < entries_;) {
      if (!contiguous_) {
        scatter(ptr_[i], stride_, src, is_, count_[i]);
        src += count_[i] * is_;
        ++i;
        continue;
      }
      std::size_t bytes = count_[i] * is_;
      std::size_t j = i + 1;
      for (; j < entries_ && ptr_[j] == ptr_[i] + bytes; ++j) bytes += count_[j] * is_;
      copy(ptr_[i], src, bytes);
      src += bytes;
      i = j;
    }
  }

  void copy(char* dst, const unsigned char* src, std::size_t bytes) const {
    if (streaming_) k_.stream_copy(dst, src, bytes);
    else std::memcpy(dst, src, bytes);
  }

  void alone(char* ptr, uint64_t e, uint64_t count) {
    const bool direct = contiguous_ && !streaming_ && reinterpret_cast<uintptr_t>(ptr) % is_ == 0;
    while (count != 0) {
      const std::size_t m = static_cast<std::size_t>(std::min<uint64_t>(count, kTile));
      if (bits_ && direct) {
        k_.stream_words(key_, e, m, reinterpret_cast<uint32_t*>(ptr));
      } else if (!bits_ && direct) {
        k_.stream_words(key_, e * wpe_, m * wpe_, words_);
        k_.transform(dist_, fmt_, words_, m, ptr);
      } else {
        k_.stream_words(key_, e * wpe_, m * wpe_, words_);
        const unsigned char* src = reinterpret_cast<const unsigned char*>(words_);
        if (!bits_) {
          k_.transform(dist_, fmt_, words_, m, values_);
          src = values_;
        }
        if (contiguous_) copy(ptr, src, m * is_);
        else scatter(ptr, stride_, src, is_, m);
      }
      ptr += static_cast<int64_t>(m) * stride_;
      e += m;
      count -= m;
    }
  }

  const KernelTable& k_;
  const StreamKey& key_;
  const Distribution& dist_;
  const Format fmt_;
  const std::size_t is_;
  const unsigned wpe_;
  const int64_t stride_;
  const bool streaming_, bits_, contiguous_;
  std::size_t entries_ = 0, elements_ = 0, blocks_ = 0;
  bool whole_blocks_ = true;  // every run starts and ends on a Philox block
  bool adjacent_ = true;      // each run starts where the previous one ends (the first aligned)
  char* end_ = nullptr;       // where the last run ends
  alignas(64) uint32_t words_[2 * kTile];
  alignas(64) uint32_t scratch_[4 * kBatchBlocks];
  alignas(64) unsigned char values_[8 * kTile];
  uint64_t block_[kBatchBlocks];
  char* ptr_[kTile];
  uint32_t count_[kTile];
  uint8_t skip_[kTile];
};

// Work items are pieces of runs; about kSlab elements between keep_going checks, at least one
// thread per kMinElementsPerThread elements, ranges of at least 64 elements.
Split gather_split(uint64_t piece) {
  const uint64_t align = std::max<uint64_t>(1, kSplitAlign / piece);
  uint64_t slab = std::max<uint64_t>(1, kSlab / piece);
  slab = std::max(align, slab - slab % align);
  return Split{std::max<uint64_t>(1, kMinElementsPerThread / piece), align, slab};
}

}  // namespace

bool fill_gather(const Target& t, const KernelTable& kernels, const StreamKey& key, const Distribution& dist,
                 int threads, const KeepGoing& keep_going) noexcept {
  for (int64_t n : t.shape)
    if (n == 0) return true;
  const GatherPlan p = plan_gather(t);
  const uint64_t items = p.row_count * p.pieces;
  const bool streaming = stream_stores(p.row_count * p.run * itemsize(t.fmt));
  return by_slabs(
      items, threads, keep_going,
      [&](uint64_t lo, uint64_t hi) {
        Batcher batch(kernels, key, dist, t.fmt, p.run_stride, streaming);
        if (p.rows.size() == 1 && p.pieces == 1) {  // the common case (rows by id), without the walker
          const RowAxis& a = p.rows[0];
          for (uint64_t i = lo; i < hi; ++i)
            batch.add(t.data + static_cast<int64_t>(i) * a.stride, p.origin + (a.table ? a.table[i] : i * a.lstride),
                      p.run);
          batch.flush();
          if (streaming) kernels.fence();
          return;
        }
        RowWalker row(t, p, lo / p.pieces);
        uint64_t j = lo % p.pieces;
        for (uint64_t item = lo; item < hi; row.next(), j = 0) {
          char* const ptr = row.ptr();
          const uint64_t e = row.element();
          for (; j < p.pieces && item < hi; ++j, ++item) {
            const uint64_t first = j * p.piece;
            batch.add(ptr + static_cast<int64_t>(first) * p.run_stride, e + first, std::min(p.piece, p.run - first));
          }
        }
        batch.flush();
        if (streaming) kernels.fence();
      },
      gather_split(p.piece));
}

}  // namespace detail
}  // namespace fastinit
