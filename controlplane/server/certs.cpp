#include "controlplane/server/certs.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>

#include "common/error.h"

namespace skiff::cp {
namespace {

namespace fs = std::filesystem;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct FileClose {
  void operator()(FILE* f) const { fclose(f); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Cert = std::unique_ptr<X509, X509Free>;
using File = std::unique_ptr<FILE, FileClose>;

[[noreturn]] void ssl_fail(const std::string& what) {
  char buf[256] = "unknown OpenSSL error";
  if (unsigned long e = ERR_get_error()) ERR_error_string_n(e, buf, sizeof(buf));
  throw Error(fmt::format("{}: {}", what, buf));
}

Pkey new_key() {
  Pkey k(EVP_EC_gen("P-256"));
  if (!k) ssl_fail("generate P-256 key");
  return k;
}

File open_for_write(const fs::path& p, mode_t mode) {
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) throw_errno("open", p.string());
  ::fchmod(fd, mode);
  FILE* f = fdopen(fd, "w");
  if (!f) {
    ::close(fd);
    throw_errno("fdopen", p.string());
  }
  return File(f);
}

void write_key(const fs::path& p, EVP_PKEY* k) {
  auto f = open_for_write(p, 0600);
  if (PEM_write_PrivateKey(f.get(), k, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    ssl_fail("write " + p.string());
  }
}

void write_cert(const fs::path& p, X509* c) {
  auto f = open_for_write(p, 0644);
  if (PEM_write_X509(f.get(), c) != 1) ssl_fail("write " + p.string());
}

Pkey read_key(const fs::path& p) {
  File f(fopen(p.c_str(), "r"));
  if (!f) throw_errno("open", p.string());
  Pkey k(PEM_read_PrivateKey(f.get(), nullptr, nullptr, nullptr));
  if (!k) ssl_fail("read key " + p.string());
  return k;
}

Cert read_cert(const fs::path& p) {
  File f(fopen(p.c_str(), "r"));
  if (!f) throw_errno("open", p.string());
  Cert c(PEM_read_X509(f.get(), nullptr, nullptr, nullptr));
  if (!c) ssl_fail("read certificate " + p.string());
  return c;
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) ssl_fail(fmt::format("certificate extension {}={}", OBJ_nid2sn(nid), value));
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

Cert make_cert(EVP_PKEY* key, const std::string& cn, long days, X509* issuer,
               EVP_PKEY* issuer_key) {
  Cert c(X509_new());
  if (!c) ssl_fail("X509_new");
  X509_set_version(c.get(), 2);
  // A random serial: reissued certificates must not collide.
  BIGNUM* bn = BN_new();
  BN_rand(bn, 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(c.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(c.get()), days * 24 * 3600);
  X509_set_pubkey(c.get(), key);
  X509_NAME* name = X509_get_subject_name(c.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Skiff"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(c.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509* iss = issuer ? issuer : c.get();
  add_ext(c.get(), iss, NID_subject_key_identifier, "hash");
  if (issuer) add_ext(c.get(), iss, NID_authority_key_identifier, "keyid");
  (void)issuer_key;
  return c;
}

void sign(X509* c, EVP_PKEY* key) {
  if (X509_sign(c, key, EVP_sha256()) == 0) ssl_fail("sign certificate");
}

bool is_ip(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "";
  return buf;
}

}  // namespace

CertPaths ensure_certs(const fs::path& dir, const std::vector<std::string>& sans) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(fmt::format("create {}: {}", dir.string(), ec.message()));
  CertPaths out{dir / "ca.pem", dir / "server.pem", dir / "server.key"};
  const fs::path ca_key_path = dir / "ca.key";

  Pkey ca_key;
  Cert ca;
  if (fs::exists(out.ca_cert) && fs::exists(ca_key_path)) {
    ca_key = read_key(ca_key_path);
    ca = read_cert(out.ca_cert);
  } else {
    ca_key = new_key();
    ca = make_cert(ca_key.get(), "Skiff control plane CA", 3650, nullptr, nullptr);
    add_ext(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE");
    add_ext(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
    sign(ca.get(), ca_key.get());
    write_key(ca_key_path, ca_key.get());
    write_cert(out.ca_cert, ca.get());
    fs::remove(out.server_cert, ec);  // a new CA needs a new server certificate
  }
  if (fs::exists(out.server_cert) && fs::exists(out.server_key)) return out;

  std::vector<std::string> names = {"127.0.0.1", "localhost"};
  if (auto h = host_name(); !h.empty()) names.push_back(h);
  names.insert(names.end(), sans.begin(), sans.end());
  std::string san;
  for (const auto& n : names) {
    if (n.empty() || n.find_first_of(",\n") != std::string::npos) {
      throw Error(fmt::format("--san '{}': not a host name or address", n));
    }
    if (!san.empty()) san += ',';
    san += is_ip(n) ? "IP:" : "DNS:";
    san += n;
  }
  Pkey key = new_key();
  Cert cert = make_cert(key.get(), "skiff-controlplane", 730, ca.get(), ca_key.get());
  add_ext(cert.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_ext(cert.get(), ca.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment");
  add_ext(cert.get(), ca.get(), NID_ext_key_usage, "serverAuth");
  add_ext(cert.get(), ca.get(), NID_subject_alt_name, san);
  sign(cert.get(), ca_key.get());
  write_key(out.server_key, key.get());
  write_cert(out.server_cert, cert.get());
  return out;
}

}  // namespace skiff::cp
