#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "distribution.hpp"
#include "fill.hpp"
#include "kernels.hpp"
#include "register.hpp"

namespace py = pybind11;

namespace fastinit {
namespace {

Format parse_format(const std::string& name) {
  if (name == "float32") return Format::Float32;
  if (name == "float64") return Format::Float64;
  if (name == "float16") return Format::Float16;
  if (name == "bfloat16") return Format::BFloat16;
  if (name == "uint32") return Format::UInt32;
  throw std::invalid_argument("format must be one of float32, float64, float16, bfloat16, uint32; got '" + name + "'");
}

// The array out, checked to be a writable native-order buffer of the format, never converted:
// a fill that wrote into a copy would look like success and change nothing.
py::array checked_array(py::handle out, Format fmt) {
  if (!py::isinstance<py::array>(out))
    throw py::type_error("out must be a numpy.ndarray, got " + std::string(py::str(py::type::of(out).attr("__name__"))));
  auto arr = py::reinterpret_borrow<py::array>(out);
  if (!arr.writeable()) throw std::invalid_argument("out is read-only; pass a writable array");
  const py::dtype dt = arr.dtype();
  const char kind = dt.kind();
  const auto is = static_cast<std::size_t>(dt.itemsize());
  bool ok = is == itemsize(fmt);
  switch (fmt) {
    case Format::Float32:
    case Format::Float64: ok = ok && kind == 'f'; break;
    case Format::UInt32: ok = ok && kind == 'u'; break;
    default: ok = ok && (kind == 'f' || kind == 'u' || kind == 'V'); break;  // float16, ml_dtypes.bfloat16, raw uint16
  }
  if (!ok)
    throw py::type_error("out has dtype " + std::string(py::str(dt)) + ", which does not hold the requested format");
  const char order = dt.byteorder();
  if (order == '>') throw std::invalid_argument("out is big-endian; pass an array in native byte order");
  return arr;
}

// The index arrays of a gathered fill, checked against out; the arrays are held for the call.
struct AxisTables {
  std::vector<py::array> keep;
  std::vector<AxisOffsets> tables;
};

std::string axis_name(std::size_t k) { return "axis_offsets[" + std::to_string(k) + "]"; }

AxisOffsets checked_table(py::handle entry, std::size_t k, const py::array& out, AxisTables& held) {
  if (entry.is_none()) return {};
  if (!py::isinstance<py::array>(entry))
    throw py::type_error(axis_name(k) + " must be None or a numpy.ndarray of dtype uint64, got " +
                         std::string(py::str(py::type::of(entry).attr("__name__"))));
  auto arr = py::reinterpret_borrow<py::array>(entry);
  const py::dtype dt = arr.dtype();
  if (dt.kind() != 'u' || dt.itemsize() != 8 || dt.byteorder() == '>')
    throw py::type_error(axis_name(k) + " must have dtype uint64 (native byte order), got " + std::string(py::str(dt)) +
                         "; pass np.ascontiguousarray(offsets, dtype=np.uint64)");
  constexpr int kAligned = py::detail::npy_api::NPY_ARRAY_ALIGNED_;
  if (arr.ndim() != 1 || !(arr.flags() & py::array::c_style) || !(arr.flags() & kAligned))
    throw py::type_error(axis_name(k) + " must be a 1-D C-contiguous aligned array (ndim " + std::to_string(arr.ndim()) +
                         "); pass np.ascontiguousarray(offsets, dtype=np.uint64)");
  if (arr.shape(0) != out.shape(static_cast<py::ssize_t>(k)))
    throw std::invalid_argument(axis_name(k) + " has " + std::to_string(arr.shape(0)) + " entries; out.shape[" +
                                std::to_string(k) + "] is " + std::to_string(out.shape(static_cast<py::ssize_t>(k))));
  held.keep.push_back(arr);
  return {static_cast<const uint64_t*>(arr.data()), static_cast<std::size_t>(arr.shape(0))};
}

// Bytes [lo, hi) that out's elements reach.
std::pair<uintptr_t, uintptr_t> extent(const py::array& a) {
  auto lo = reinterpret_cast<uintptr_t>(a.data()), hi = lo + static_cast<uintptr_t>(a.itemsize());
  for (py::ssize_t k = 0; k < a.ndim(); ++k) {
    const py::ssize_t reach = (a.shape(k) - 1) * a.strides(k);
    if (reach < 0) lo -= static_cast<uintptr_t>(-reach);
    else hi += static_cast<uintptr_t>(reach);
  }
  return {lo, hi};
}

AxisTables checked_tables(const py::object& axis_offsets, const py::array& out) {
  AxisTables held;
  if (axis_offsets.is_none()) return held;
  if (!py::isinstance<py::list>(axis_offsets) && !py::isinstance<py::tuple>(axis_offsets))
    throw py::type_error("axis_offsets must be None or a list with one entry (None or a uint64 array) per dimension "
                         "of out, got " + std::string(py::str(py::type::of(axis_offsets).attr("__name__"))));
  const auto entries = py::reinterpret_borrow<py::sequence>(axis_offsets);
  const auto nd = static_cast<std::size_t>(out.ndim());
  if (entries.size() != nd)
    throw std::invalid_argument("axis_offsets must have one entry per dimension of out (" + std::to_string(nd) +
                                "), got " + std::to_string(entries.size()));
  for (std::size_t k = 0; k < nd; ++k) held.tables.push_back(checked_table(entries[k], k, out, held));
  if (out.size() == 0) return held;
  const auto [lo, hi] = extent(out);
  for (std::size_t k = 0; k < nd; ++k) {
    const AxisOffsets& o = held.tables[k];
    const auto p = reinterpret_cast<uintptr_t>(o.data);
    if (o.data != nullptr && o.size != 0 && p < hi && lo < p + 8 * o.size)
      throw std::invalid_argument(axis_name(k) + " shares memory with out; pass a copy of the offsets");
  }
  return held;
}

Target make_target(py::handle out, Format fmt, const std::vector<uint64_t>& logical_strides, uint64_t origin,
                   const AxisTables* tables = nullptr) {
  py::array arr = checked_array(out, fmt);
  Target t;
  t.data = static_cast<char*>(arr.mutable_data());
  t.fmt = fmt;
  const auto nd = static_cast<std::size_t>(arr.ndim());
  for (std::size_t k = 0; k < nd; ++k) {
    t.shape.push_back(static_cast<int64_t>(arr.shape(k)));
    t.byte_strides.push_back(static_cast<int64_t>(arr.strides(k)));
  }
  if (logical_strides.size() != nd)
    throw std::invalid_argument("logical_strides must have one entry per dimension of out (" +
                                std::to_string(nd) + "), got " + std::to_string(logical_strides.size()));
  t.logical_strides = logical_strides;
  t.origin = origin;
  if (tables != nullptr) t.offsets = tables->tables;
  check_target(t);
  return t;
}

// A random fill's target: out, checked, with its index arrays (axis_offsets), held in `held`.
Target random_target(py::handle out, Format fmt, const std::vector<uint64_t>& logical_strides, uint64_t origin,
                     const py::object& axis_offsets, AxisTables& held) {
  held = checked_tables(axis_offsets, checked_array(out, fmt));
  return make_target(out, fmt, logical_strides, origin, &held);
}

// Between slabs of a long fill: run Python's signal handlers (Ctrl-C raises KeyboardInterrupt
// there), taking the GIL for just that moment.
bool no_pending_signal() {
  py::gil_scoped_acquire acquire;
  return PyErr_CheckSignals() == 0;
}

void run_fill(const Target& t, uint64_t seed, uint64_t stream, const Distribution& dist) {
  const KernelTable& kernels = active_kernels();
  const int threads = num_threads();
  const StreamKey key = StreamKey::make(seed, stream);
  bool complete;
  {
    // Safe without the GIL: everything was validated above, and the caller holds out alive.
    py::gil_scoped_release release;
    complete = fill_random(t, kernels, key, dist, threads, no_pending_signal);
  }
  if (!complete) throw py::error_already_set();  // the handler's exception, e.g. KeyboardInterrupt
}

// One double per distribution parameter.
template <class Name>
struct Param {
  using type = double;
};

// Binds name(out, format, seed, stream, logical_strides, origin, <one double per param_name>,
// axis_offsets=None) to a fill of out with the values of make(<those doubles>, format).
template <class... Name>
void def_random_fill(py::module_& m, const char* name, Distribution (*make)(typename Param<Name>::type..., Format),
                     Name... param_name) {
  m.def(
      name,
      [make](py::handle out, const std::string& format, uint64_t seed, uint64_t stream,
             std::vector<uint64_t> logical_strides, uint64_t origin, typename Param<Name>::type... param,
             const py::object& axis_offsets) {
        const Format fmt = parse_format(format);
        AxisTables held;
        const Target t = random_target(out, fmt, logical_strides, origin, axis_offsets, held);
        run_fill(t, seed, stream, make(param..., fmt));
      },
      py::arg("out"), py::arg("format"), py::arg("seed"), py::arg("stream"), py::arg("logical_strides"),
      py::arg("origin"), py::arg(param_name)..., py::arg("axis_offsets") = py::none());
}

}  // namespace

void register_fill(py::module_& m) {
  m.def(
      "fill_bits",
      [](py::handle out, uint64_t seed, uint64_t stream, std::vector<uint64_t> logical_strides, uint64_t origin,
         const py::object& axis_offsets) {
        AxisTables held;
        const Target t = random_target(out, Format::UInt32, logical_strides, origin, axis_offsets, held);
        run_fill(t, seed, stream, make_bits());
      },
      py::arg("out"), py::arg("seed"), py::arg("stream"), py::arg("logical_strides"), py::arg("origin"),
      py::arg("axis_offsets") = py::none());
  def_random_fill(m, "fill_uniform", &make_uniform, "low", "high");
  def_random_fill(m, "fill_normal", &make_normal, "mean", "std");
  def_random_fill(m, "fill_truncated_normal", &make_truncated_normal, "mean", "std", "a", "b");
  m.def(
      "fill_constant",
      [](py::handle out, const std::string& format, py::bytes pattern) {
        const Format fmt = parse_format(format);
        const std::string p = pattern;
        if (p.size() != itemsize(fmt))
          throw std::invalid_argument("pattern must be " + std::to_string(itemsize(fmt)) + " bytes for " + format);
        py::array arr = checked_array(out, fmt);
        std::vector<uint64_t> ls(static_cast<std::size_t>(arr.ndim()), 0);
        uint64_t step = 1;
        for (std::size_t k = ls.size(); k-- > 0;) {
          ls[k] = step;
          step *= static_cast<uint64_t>(arr.shape(k));
        }
        const Target t = make_target(out, fmt, ls, 0);
        const KernelTable& kernels = active_kernels();
        const int threads = num_threads();
        bool complete;
        {
          // Safe without the GIL: validated above; p and out outlive the call.
          py::gil_scoped_release release;
          complete = fill_pattern(t, kernels, reinterpret_cast<const unsigned char*>(p.data()), threads,
                                  no_pending_signal);
        }
        if (!complete) throw py::error_already_set();
      },
      py::arg("out"), py::arg("format"), py::arg("pattern"));
  m.def(
      "transform_words",
      [](py::array_t<uint32_t, py::array::c_style> words, py::handle out, const std::string& format,
         const std::string& dist, std::vector<double> params) {
        const Format fmt = parse_format(format);
        if (fmt == Format::UInt32) throw std::invalid_argument("transform_words: format must be a float format");
        py::array arr = checked_array(out, fmt);
        if (!(arr.flags() & py::array::c_style)) throw std::invalid_argument("transform_words: out must be C-contiguous");
        const auto n = static_cast<std::size_t>(arr.size());
        if (static_cast<std::size_t>(words.size()) != n * words_per_element(fmt))
          throw std::invalid_argument("transform_words: need " + std::to_string(words_per_element(fmt)) +
                                      " words per element of out");
        Distribution d;
        auto need = [&](std::size_t k) {
          if (params.size() != k)
            throw std::invalid_argument("transform_words: " + dist + " takes " + std::to_string(k) + " parameters");
        };
        if (dist == "uniform") { need(2); d = make_uniform(params[0], params[1], fmt); }
        else if (dist == "normal") { need(2); d = make_normal(params[0], params[1], fmt); }
        else if (dist == "truncated_normal") { need(4); d = make_truncated_normal(params[0], params[1], params[2], params[3], fmt); }
        else throw std::invalid_argument("transform_words: dist must be uniform, normal or truncated_normal");
        const KernelTable& kernels = active_kernels();
        const uint32_t* w = words.data();
        void* dst = arr.mutable_data();
        py::gil_scoped_release release;
        kernels.transform(d, fmt, w, n, dst);
      },
      py::arg("words"), py::arg("out"), py::arg("format"), py::arg("dist"), py::arg("params"),
      "Test hook: the values the fills would compute from the given stream words.");
}

}  // namespace fastinit
