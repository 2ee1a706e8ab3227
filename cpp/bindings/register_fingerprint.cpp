#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "fill.hpp"
#include "fingerprint.hpp"
#include "kernels.hpp"
#include "register.hpp"

namespace py = pybind11;

namespace fastinit {
namespace {

// Between slabs: run Python's signal handlers (Ctrl-C), taking the GIL for just that moment.
bool fingerprint_keep_going() {
  py::gil_scoped_acquire acquire;
  return PyErr_CheckSignals() == 0;
}

// The array, checked to be an unsigned-integer view whose itemsize is the format's value width
// (fastinit.fingerprint passes one), in native byte order; never converted or copied.
py::array value_view(py::handle array, const FingerprintFormat& fmt) {
  if (!py::isinstance<py::array>(array))
    throw py::type_error("array must be a numpy.ndarray, got " +
                         std::string(py::str(py::type::of(array).attr("__name__"))));
  auto arr = py::reinterpret_borrow<py::array>(array);
  const py::dtype dt = arr.dtype();
  if (dt.kind() != 'u' || static_cast<std::size_t>(dt.itemsize()) != fmt.itemsize)
    throw py::type_error("array must be viewed as uint" + std::to_string(8 * fmt.itemsize) + " for format " +
                         fmt.name + ", got " + std::string(py::str(dt)));
  if (dt.byteorder() == '>') throw std::invalid_argument("array is big-endian; pass it in native byte order");
  return arr;
}

}  // namespace

void register_fingerprint(py::module_& m) {
  m.def(
      "fingerprint",
      [](py::handle array, const std::string& format, std::vector<uint64_t> logical_strides, uint64_t origin,
         std::vector<py::object> axis_offsets) {
        const FingerprintFormat& fmt = fingerprint_format(format);
        py::array arr = value_view(array, fmt);
        const auto nd = static_cast<std::size_t>(arr.ndim());
        FingerprintSource s;
        s.data = static_cast<const char*>(arr.data());
        s.format = fmt;
        for (std::size_t k = 0; k < nd; ++k) {
          s.shape.push_back(static_cast<int64_t>(arr.shape(k)));
          s.byte_strides.push_back(static_cast<int64_t>(arr.strides(k)));
        }
        s.logical_strides = std::move(logical_strides);
        s.origin = origin;
        std::vector<py::array_t<uint64_t>> tables;  // held for the call
        if (!axis_offsets.empty()) {
          if (axis_offsets.size() != nd)
            throw std::invalid_argument("axis_offsets must be empty or have one entry per dimension of array (" +
                                        std::to_string(nd) + ")");
          for (std::size_t k = 0; k < nd; ++k) {
            if (axis_offsets[k].is_none()) {
              s.offsets.push_back(nullptr);
              continue;
            }
            if (!py::isinstance<py::array_t<uint64_t>>(axis_offsets[k]))
              throw py::type_error("axis_offsets[" + std::to_string(k) + "] must be None or a numpy uint64 array");
            auto t = py::reinterpret_borrow<py::array_t<uint64_t>>(axis_offsets[k]);
            if (t.ndim() != 1 || t.shape(0) != static_cast<py::ssize_t>(s.shape[k]) ||
                !(t.flags() & py::array::c_style))
              throw std::invalid_argument("axis_offsets[" + std::to_string(k) + "] must be a contiguous 1-d array of " +
                                          std::to_string(s.shape[k]) + " entries (the length of axis " +
                                          std::to_string(k) + ")");
            s.offsets.push_back(t.data());
            tables.push_back(t);
          }
        }
        check_fingerprint_source(s);
        const std::string simd = active_kernels().name;
        const int threads = num_threads();
        uint64_t digest = 0;
        bool complete;
        {
          // Safe without the GIL: validated above; arr and the tables are held until we return.
          py::gil_scoped_release release;
          complete = fastinit::fingerprint(s, simd, threads, fingerprint_keep_going, &digest);
        }
        if (!complete) throw py::error_already_set();
        return digest;
      },
      py::arg("array"), py::arg("format"), py::arg("logical_strides"), py::arg("origin"),
      py::arg("axis_offsets") = std::vector<py::object>{},
      "Sum modulo 2**64 of one 64-bit hash per element of (element index, value bits); docs/fingerprint.md.");
}

}  // namespace fastinit
