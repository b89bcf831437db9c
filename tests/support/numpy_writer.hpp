#pragma once
// NumPy files for tests that need data made on the spot: .npy (format 1.0, little-endian, C order)
// and .npz as NumPy's np.savez writes it (a zip of .npy entries, stored uncompressed).
// Sources: NumPy's "NEP 1 — A simple file format for NumPy arrays"; PKWARE's APPNOTE.TXT (zip).
#include <map>
#include <string>
#include <vector>

#include "ignis/tensor/tensor.hpp"

namespace ignis::testing {

/// The bytes of a .npy file holding `t` (float32, float64, int64, int32, uint8 or bool).
std::vector<unsigned char> npy_bytes(const Tensor& t);
void write_npy(const std::string& path, const Tensor& t);
/// An .npz archive whose entries are "<name>.npy".
void write_npz(const std::string& path, const std::map<std::string, Tensor>& arrays);

}  // namespace ignis::testing
