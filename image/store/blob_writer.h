// Streams one blob into the store: data goes to a private file in ROOT/ingest while it
// is hashed, and only commit() — after size and digest matched — renames it into place.
//
// Any failure (mismatch, ENOSPC, an I/O error) deletes the ingest file before throwing,
// so nothing half-written is ever visible; dropping an uncommitted writer does the same.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string_view>

#include "image/store/digest.h"

namespace skiff::image {

class BlobWriter {
 public:
  BlobWriter(BlobWriter&&) noexcept;
  BlobWriter& operator=(BlobWriter&&) noexcept;
  ~BlobWriter();

  // True if the blob was already stored when writing began: write() then discards data.
  bool already_present() const;
  const Digest& expected() const;
  std::uint64_t written() const;

  void write(std::string_view chunk);
  // Checks size and digest and flushes the data to disk without publishing it, so a
  // caller can verify a whole set of blobs before making any of them visible.
  void verify();
  // verify() if not done yet, then atomically publish the blob.
  void commit();

 private:
  friend class ContentStore;
  struct State;
  explicit BlobWriter(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace skiff::image
