// What every translation unit of the shim shares: the export marker, the tensor handle, and the rule that no C++
// exception crosses the ABI (ZT_TRY puts it in the calling thread's error slot, read by zt_last_error).
#pragma once
#include <ATen/ATen.h>

#define ZT_API extern "C" __attribute__((visibility("default")))

typedef at::Tensor* T;

// Defined in zoo_torch.cpp: the thread-local error slot, and a new handle counted by the live-tensor counter.
void set_error(const char* msg);
T wrap(at::Tensor t);

#define ZT_TRY(body)                                      \
  try {                                                   \
    body                                                  \
  } catch (const c10::Error& e) {                         \
    set_error(e.what_without_backtrace());                \
  } catch (const std::exception& e) {                     \
    set_error(e.what());                                  \
  } catch (...) {                                         \
    set_error("unknown C++ exception in libtorch");       \
  }
