#include <pybind11/pybind11.h>

#include "register.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "fastinit's compiled core: Philox4x32-10 streams and in-place fills (see fastinit)";
  fastinit::register_philox(m);
  fastinit::register_fill(m);
  fastinit::register_runtime(m);
  fastinit::register_threads(m);
  fastinit::register_fingerprint(m);
}
