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
  /// What the allocator counts this block as (see MemoryCategory).
  MemoryCategory memory_category() const { return data_.category(); }
  void set_memory_category(MemoryCategory category) { data_.set_category(category); }

 private:
  DataPtr data_;
  std::size_t nbytes_;
};

}  // namespace ignis
