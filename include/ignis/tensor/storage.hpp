#pragma once
// Storage: one block of device memory shared by a tensor and all its views.
#include <cstddef>

#include "ignis/tensor/allocator.hpp"

namespace ignis {

class Storage {
 public:
  Storage(DataPtr data, std::size_t nbytes) : data_(static_cast<DataPtr&&>(data)), nbytes_(nbytes) {}

  void* data() const { return data_.get(); }
  std::size_t nbytes() const { return nbytes_; }
  Device device() const { return data_.device(); }

 private:
  DataPtr data_;
  std::size_t nbytes_;
};

}  // namespace ignis
