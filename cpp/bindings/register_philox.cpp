#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>

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
}

}  // namespace fastinit
