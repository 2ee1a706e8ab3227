#pragma once
#include <pybind11/pybind11.h>

namespace fastinit {
void register_philox(pybind11::module_& m);
void register_fill(pybind11::module_& m);
void register_runtime(pybind11::module_& m);
void register_threads(pybind11::module_& m);
void register_fingerprint(pybind11::module_& m);
}  // namespace fastinit
