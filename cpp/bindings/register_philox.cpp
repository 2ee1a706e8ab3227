#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <cstddef>
#include <stdexcept>

#include "kernels.hpp"
#include "philox.hpp"
#include "register.hpp"

namespace py = pybind11;

namespace fastinit {

void register_philox(py::module_& m) {
  m.def(
      "philox4x32_10",
      [](std::array<uint32_t, 4> counter, std::array<uint32_t, 2> key) {
        std::array<uint32_t, 4> out{};
        philox4x32_10(counter.data(), key[0], key[1], out.data());
        return out;
      },
      py::arg("counter"), py::arg("key"),
      "The Philox4x32-10 block function: four 32-bit counter words and two key words to four "
      "output words (Random123's definition).");
  m.def(
      "block_words",
      [](py::array_t<uint64_t, py::array::c_style | py::array::forcecast> blocks, uint64_t seed, uint64_t stream) {
        if (blocks.ndim() != 1) throw std::invalid_argument("block_words: blocks must be one-dimensional");
        const auto n = static_cast<std::size_t>(blocks.shape(0));
        py::array_t<uint32_t> out(static_cast<py::ssize_t>(4 * n));
        const StreamKey key = StreamKey::make(seed, stream);
        const uint64_t* b = blocks.data();
        uint32_t* o = out.mutable_data();
        {
          py::gil_scoped_release release;
          active_kernels().block_words(key, b, n, o);
        }
        return out;
      },
      py::arg("blocks"), py::arg("seed"), py::arg("stream"),
      "The stream words of the listed Philox blocks (block b holds words 4b .. 4b + 3), 4 per "
      "block in list order, from the active SIMD path's kernels.block_words (a test hook).");
}

}  // namespace fastinit
