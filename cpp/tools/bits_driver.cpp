// bits_driver: the core's produced bits for a fixed list of cases, without Python, so that a build
// for another architecture (AArch64 under qemu-aarch64 in CI, .ci/arm.sh) can be compared bit for
// bit with the x86-64 extension (tests/test_aarch64.py).
//
//   bits_driver OUTDIR [PATH...]   writes OUTDIR/<arch>-<path>.txt for each SIMD path named
//                                   (default: every path this CPU runs, simd_paths() order)
//   bits_driver --paths            prints the paths this CPU runs, one a line
//
// A file: one header line "# fastinit bits_driver arch=<arch> path=<path> cases=<n>", then one
// line per case: the case's name, which says everything needed to reproduce it, then the values
// in hex, space-separated, in the C order of the case's shape (uint32/float32: 8 digits of the
// bits, float64: 16, float16/bfloat16: 4). Case names:
//   words/seed=S/stream=T/j0=J/n=N        kernels.stream_words: words J .. J+N-1 of (S, T)
//   blocks/seed=S/stream=T/b=B1,B2,..     kernels.block_words: the 4 words of blocks B1, B2, ..
//   fill/DIST/FMT/p=P1,P2../seed=S/stream=T/shape=A,B../layout=L/lstrides=X,Y../origin=O/threads=K
//       fill_random into a Target of that shape; L is C (C-contiguous), F (Fortran order) or step2
//       (C order, every other element of the last axis in memory); element (i, j, ..) is element
//       O + i*X + j*Y + .. of the stream's tensor. DIST: bits (FMT uint32, no parameters),
//       uniform (low, high), normal (mean, std), truncated_normal (mean, std, a, b); parameters
//       printed with %.17g (they read back exactly).
//   digest/fill/...                       the same fill, too large to print (the tiled paths for
//       outputs over 32 MiB): one value, the fingerprint (docs/fingerprint.md) of the shape in C
//       order as the whole tensor, 16 hex digits.
// Build: cpp/tools/build_bits_driver.sh (g++, no pybind11).
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "distribution.hpp"
#include "fill.hpp"
#include "fingerprint.hpp"
#include "kernels.hpp"
#include "philox.hpp"

namespace {

using fastinit::Distribution;
using fastinit::Format;
using fastinit::format_name;
using fastinit::Kind;

#if defined(__aarch64__)
const char* const kArch = "aarch64";
#elif defined(__x86_64__)
const char* const kArch = "x86_64";
#else
const char* const kArch = "other";
#endif

struct Params {
  const char* dist;
  std::vector<double> p;
};

struct Layout {
  std::vector<int64_t> shape;
  char order;  // 'C', 'F' or 's' (step2)
  std::vector<uint64_t> lstrides;
  uint64_t origin;
};

std::string join_u64(const std::vector<uint64_t>& v) {
  std::string s;
  for (std::size_t k = 0; k < v.size(); ++k) s += (k ? "," : "") + std::to_string(v[k]);
  return s;
}

std::string join_i64(const std::vector<int64_t>& v) {
  std::string s;
  for (std::size_t k = 0; k < v.size(); ++k) s += (k ? "," : "") + std::to_string(v[k]);
  return s;
}

std::string join_double(const std::vector<double>& v) {
  std::string s;
  char buf[64];
  for (std::size_t k = 0; k < v.size(); ++k) {
    std::snprintf(buf, sizeof buf, "%.17g", v[k]);
    s += (k ? "," : "") + std::string(buf);
  }
  return s;
}

Distribution make(const Params& P, Format fmt) {
  const std::string d = P.dist;
  if (d == "bits") return fastinit::make_bits();
  if (d == "uniform") return fastinit::make_uniform(P.p[0], P.p[1], fmt);
  if (d == "normal") return fastinit::make_normal(P.p[0], P.p[1], fmt);
  return fastinit::make_truncated_normal(P.p[0], P.p[1], P.p[2], P.p[3], fmt);
}

void put_hex(std::string& line, const unsigned char* p, std::size_t is) {
  char buf[20];
  if (is == 2) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    std::snprintf(buf, sizeof buf, " %04x", static_cast<unsigned>(v));
  } else if (is == 4) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    std::snprintf(buf, sizeof buf, " %08" PRIx32, v);
  } else {
    uint64_t v;
    std::memcpy(&v, p, 8);
    std::snprintf(buf, sizeof buf, " %016" PRIx64, v);
  }
  line += buf;
}

class Writer {
 public:
  Writer(std::FILE* f, const fastinit::KernelTable& k) : f_(f), kernels_(k) {}
  std::size_t cases() const { return cases_; }

  void words(uint64_t seed, uint64_t stream, uint64_t j0, std::size_t n) {
    std::vector<uint32_t> w(n);
    kernels_.stream_words(fastinit::StreamKey::make(seed, stream), j0, n, w.data());
    std::string line = "words/seed=" + std::to_string(seed) + "/stream=" + std::to_string(stream) +
                       "/j0=" + std::to_string(j0) + "/n=" + std::to_string(n);
    for (uint32_t x : w) put_hex(line, reinterpret_cast<const unsigned char*>(&x), 4);
    emit(line);
  }

  void blocks(uint64_t seed, uint64_t stream, const std::vector<uint64_t>& b) {
    std::vector<uint32_t> w(4 * b.size());
    kernels_.block_words(fastinit::StreamKey::make(seed, stream), b.data(), b.size(), w.data());
    std::string line = "blocks/seed=" + std::to_string(seed) + "/stream=" + std::to_string(stream) + "/b=" + join_u64(b);
    for (uint32_t x : w) put_hex(line, reinterpret_cast<const unsigned char*>(&x), 4);
    emit(line);
  }

  void fill(const Params& P, Format fmt, uint64_t seed, uint64_t stream, const Layout& L, int threads,
            bool digest = false) {
    const std::size_t is = fastinit::itemsize(fmt);
    const std::size_t nd = L.shape.size();
    std::size_t n = 1;
    for (int64_t d : L.shape) n *= static_cast<std::size_t>(d);
    // Memory strides in elements; step2 doubles the last axis's.
    std::vector<int64_t> mem(nd);
    int64_t step = 1;
    if (L.order == 'F') {
      for (std::size_t k = 0; k < nd; ++k) {
        mem[k] = step;
        step *= L.shape[k];
      }
    } else {
      step = L.order == 's' ? 2 : 1;
      for (std::size_t k = nd; k-- > 0;) {
        mem[k] = step;
        step *= L.shape[k];
      }
    }
    const std::size_t span = static_cast<std::size_t>(step) + 1;
    std::vector<unsigned char> buf(span * is, 0xA5);
    fastinit::Target t;
    t.data = reinterpret_cast<char*>(buf.data());
    t.fmt = fmt;
    t.shape = L.shape;
    for (std::size_t k = 0; k < nd; ++k) t.byte_strides.push_back(mem[k] * static_cast<int64_t>(is));
    t.logical_strides = L.lstrides;
    t.origin = L.origin;
    fastinit::check_target(t);
    const Distribution dist = make(P, fmt);
    if (!fastinit::fill_random(t, kernels_, fastinit::StreamKey::make(seed, stream), dist, threads)) {
      std::fprintf(stderr, "bits_driver: fill_random stopped\n");
      std::exit(1);
    }
    std::string line = std::string("fill/") + P.dist + "/" + format_name(fmt) + "/p=" + join_double(P.p) +
                       "/seed=" + std::to_string(seed) + "/stream=" + std::to_string(stream) +
                       "/shape=" + join_i64(L.shape) + "/layout=" + (L.order == 's' ? "step2" : std::string(1, L.order)) +
                       "/lstrides=" + join_u64(L.lstrides) + "/origin=" + std::to_string(L.origin) +
                       "/threads=" + std::to_string(threads);
    if (!digest) line.reserve(line.size() + n * (2 * is + 1));
    const uint64_t key = fastinit::fingerprint_mix(fastinit::fingerprint_format(format_name(fmt)).code);
    uint64_t sum = 0;
    std::vector<int64_t> idx(nd, 0);
    for (std::size_t e = 0; e < n; ++e) {  // C order of the shape
      int64_t off = 0;
      for (std::size_t k = 0; k < nd; ++k) off += idx[k] * mem[k];
      const unsigned char* v = buf.data() + static_cast<std::size_t>(off) * is;
      if (digest) {
        uint64_t bits = 0;
        std::memcpy(&bits, v, is);  // little-endian: the value's bits, zero-extended
        sum += fastinit::fingerprint_term(key, e, bits);
      } else {
        put_hex(line, v, is);
      }
      for (std::size_t k = nd; k-- > 0;) {
        if (++idx[k] < L.shape[k]) break;
        idx[k] = 0;
      }
    }
    if (digest) {
      line = "digest/" + line;
      put_hex(line, reinterpret_cast<const unsigned char*>(&sum), 8);
    }
    emit(line);
  }

 private:
  void emit(const std::string& line) {
    std::fputs(line.c_str(), f_);
    std::fputc('\n', f_);
    ++cases_;
  }
  std::FILE* f_;
  const fastinit::KernelTable& kernels_;
  std::size_t cases_ = 0;
};

constexpr uint64_t k32 = uint64_t{1} << 32;

// The case list: every word-range shape stream_words handles (unaligned starts, short and long
// remainders, counters past 2**32 blocks), then every distribution x format in three layouts with
// element indices past 2**32, then larger fills on 1, 2 and 3 threads.
void write_cases(Writer& w) {
  const uint64_t seeds[] = {0, 42, 0xFFFFFFFFFFFFFFFFull};
  const uint64_t streams[] = {0, 7, 0x8000000000000001ull};
  const uint64_t starts[] = {0, 1, 2, 3, 5, 4 * k32 - 6, (uint64_t{1} << 62) + 3, (uint64_t{1} << 63) - 1200};
  const std::size_t lengths[] = {1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 31, 33, 64, 65, 1000};
  int s = 0;
  for (uint64_t j0 : starts)
    for (std::size_t n : lengths) {
      w.words(seeds[s % 3], streams[(s / 3) % 3], j0, n);
      ++s;
    }

  // kernels.block_words: lists of any block numbers, every remainder length.
  std::vector<uint64_t> list;
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (std::size_t n = 1; n <= 19; ++n) {
    list.clear();
    for (std::size_t i = 0; i < n; ++i) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;  // any block numbers, some near 2**32 and 2**64
      list.push_back(i % 3 == 0 ? x : i % 3 == 1 ? k32 - 2 + (x >> 62) : ~uint64_t{0} - (x >> 61));
    }
    w.blocks(seeds[n % 3], streams[(n / 3) % 3], list);
  }

  const std::vector<Params> params = {
      {"uniform", {0.0, 1.0}},
      {"uniform", {-0.3, 0.7}},
      {"uniform", {0.0, 1e-5}},  // float16 subnormals
      {"normal", {0.0, 1.0}},
      {"normal", {2.5, 0.01}},
      {"normal", {0.0, 1e-6}},  // float16 subnormals
      {"truncated_normal", {0.0, 1.0, -2.0, 2.0}},
      {"truncated_normal", {0.5, 2.0, -0.5, 3.0}},
      {"truncated_normal", {0.0, 1.0, 5.0, 9.0}},    // one far tail
      {"truncated_normal", {0.0, 1.0, 12.0, 13.0}},  // float32 tails underflow: computed in double
  };
  const Format fmts[] = {Format::Float32, Format::Float64, Format::Float16, Format::BFloat16};
  const std::vector<Layout> layouts = {
      {{1100}, 'C', {1}, 4 * k32 - 500},                // words cross block 2**32
      {{67, 45}, 'F', {1000, 1}, 3 * (k32 << 8) + 11},  // a 67 x 45 window of a wider tensor
      {{9, 5, 23}, 's', {5 * 23, 23, 1}, k32 + 1},
  };
  uint64_t seed = 1234567;
  for (const Layout& L : layouts) {
    w.fill({"bits", {}}, Format::UInt32, seed++, 3, L, 1);
    for (const Params& P : params)
      for (Format f : fmts) {
        w.fill(P, f, seed, seed % 5, L, 1);
        ++seed;
      }
  }

  // Enough elements (> 3 * 2**15) for the fill to split across 2 and 3 threads.
  const Layout big_c{{100003}, 'C', {1}, 5 * k32 + 3};
  const Layout big_f{{331, 307}, 'F', {307, 1}, 0};
  for (int threads : {1, 2, 3}) {
    w.fill({"bits", {}}, Format::UInt32, 99, 1, big_c, threads);
    w.fill(params[3], Format::Float32, 99, 2, big_c, threads);
    w.fill(params[7], Format::Float64, 99, 3, big_c, threads);
    w.fill(params[0], Format::BFloat16, 99, 4, big_f, threads);
    w.fill(params[4], Format::Float16, 99, 5, big_f, threads);
  }

  // Outputs over 32 MiB in F order take the tiled paths' large-output stores (non-temporal, and
  // for columns that do not start on 64-byte lines alike, vectors joined across columns): an odd
  // column length, and an aligned one. Printed as digests.
  const Layout huge_odd{{2085, 4100}, 'F', {4100, 1}, 0};
  const Layout huge_even{{2048, 4100}, 'F', {4100, 1}, k32 + 12};
  for (const Layout* L : {&huge_odd, &huge_even}) {
    w.fill({"bits", {}}, Format::UInt32, 7, 1, *L, 2, true);
    w.fill(params[1], Format::Float32, 7, 2, *L, 2, true);
    w.fill(params[3], Format::Float32, 7, 3, *L, 1, true);
    w.fill(params[0], Format::BFloat16, 7, 4, *L, 2, true);
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc == 2 && std::string(argv[1]) == "--paths") {
      for (const auto& p : fastinit::available_simd_paths()) std::printf("%s\n", p.c_str());
      return 0;
    }
    if (argc < 2 || argv[1][0] == '-') {
      std::fprintf(stderr, "usage: bits_driver OUTDIR [PATH...] | bits_driver --paths\n");
      return 2;
    }
    const std::string dir = argv[1];
    std::vector<std::string> paths(argv + 2, argv + argc);
    if (paths.empty()) paths = fastinit::available_simd_paths();
    for (const std::string& path : paths) {
      fastinit::set_simd_path(path);
      const fastinit::KernelTable& k = fastinit::active_kernels();
      const std::string file = dir + "/" + kArch + "-" + path + ".txt";
      std::FILE* f = std::fopen(file.c_str(), "w");
      if (f == nullptr) {
        std::fprintf(stderr, "bits_driver: cannot write %s\n", file.c_str());
        return 1;
      }
      Writer w(f, k);
      std::fprintf(f, "# fastinit bits_driver arch=%s path=%s\n", kArch, k.name);
      write_cases(w);
      if (std::fclose(f) != 0) {
        std::fprintf(stderr, "bits_driver: error writing %s\n", file.c_str());
        return 1;
      }
      std::printf("%s: %zu cases (path %s)\n", file.c_str(), w.cases(), k.name);
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bits_driver: %s\n", e.what());
    return 1;
  }
}
