#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <string>
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

Target make_target(py::handle out, Format fmt, const std::vector<uint64_t>& logical_strides, uint64_t origin) {
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
  check_target(t);
  return t;
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

// Binds name(out, format, seed, stream, logical_strides, origin, <one double per param_name>) to a
// fill of out with the values of make(<those doubles>, format).
template <class... Name>
void def_random_fill(py::module_& m, const char* name, Distribution (*make)(typename Param<Name>::type..., Format),
                     Name... param_name) {
  m.def(
      name,
      [make](py::handle out, const std::string& format, uint64_t seed, uint64_t stream,
             std::vector<uint64_t> logical_strides, uint64_t origin, typename Param<Name>::type... param) {
        const Format fmt = parse_format(format);
        const Target t = make_target(out, fmt, logical_strides, origin);
        run_fill(t, seed, stream, make(param..., fmt));
      },
      py::arg("out"), py::arg("format"), py::arg("seed"), py::arg("stream"), py::arg("logical_strides"),
      py::arg("origin"), py::arg(param_name)...);
}

}  // namespace

void register_fill(py::module_& m) {
  m.def(
      "fill_bits",
      [](py::handle out, uint64_t seed, uint64_t stream, std::vector<uint64_t> logical_strides, uint64_t origin) {
        run_fill(make_target(out, Format::UInt32, logical_strides, origin), seed, stream, make_bits());
      },
      py::arg("out"), py::arg("seed"), py::arg("stream"), py::arg("logical_strides"), py::arg("origin"));
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
        const int threads = num_threads();
        bool complete;
        {
          // Safe without the GIL: validated above; p and out outlive the call.
          py::gil_scoped_release release;
          complete = fill_pattern(t, reinterpret_cast<const unsigned char*>(p.data()), threads, no_pending_signal);
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
