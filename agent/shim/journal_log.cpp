#include "agent/shim/journal_log.h"

#include <dlfcn.h>

#include <cstring>

#include "common/error.h"

namespace skiff::agent {

JournalLog::JournalLog(std::string container_id, std::string container_name)
    : id_field_("CONTAINER_ID=" + container_id),
      name_field_("CONTAINER_NAME=" +
                  (container_name.empty() ? container_id : std::move(container_name))) {
  library_ = ::dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
  if (!library_) throw Error(std::string("log driver journald: dlopen: ") + ::dlerror());
  sendv_ = reinterpret_cast<SendV>(::dlsym(library_, "sd_journal_sendv"));
  if (!sendv_) {
    ::dlclose(library_);
    throw Error("log driver journald: libsystemd.so.0 has no sd_journal_sendv");
  }
}

JournalLog::~JournalLog() {
  if (library_) ::dlclose(library_);
}

void JournalLog::write(LogStream stream, bool partial, const char* data, std::size_t size) {
  // MESSAGE= and the text go in one field; the journal takes binary-safe fields via iovecs,
  // so the prefix is joined by copying into a bounded stack buffer.
  char message[kChunkSize + 16];
  constexpr char kKey[] = "MESSAGE=";
  std::size_t keep = size < sizeof message - sizeof kKey ? size : sizeof message - sizeof kKey;
  std::memcpy(message, kKey, sizeof kKey - 1);
  std::memcpy(message + sizeof kKey - 1, data, keep);
  const char* priority = stream == LogStream::out ? "PRIORITY=6" : "PRIORITY=3";
  const char* partial_field = "CONTAINER_PARTIAL_MESSAGE=true";
  iovec iov[5] = {{message, sizeof kKey - 1 + keep},
                  {const_cast<char*>(priority), std::strlen(priority)},
                  {id_field_.data(), id_field_.size()},
                  {name_field_.data(), name_field_.size()},
                  {const_cast<char*>(partial_field), std::strlen(partial_field)}};
  sendv_(iov, partial ? 5 : 4);
}

}  // namespace skiff::agent
