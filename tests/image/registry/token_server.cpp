#include "token_server.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "image/registry/challenge.h"

namespace skiff::testing {

namespace {

std::string base64url(std::string_view s) {
  std::string b = image::base64_encode(s);
  for (char& c : b) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  while (!b.empty() && b.back() == '=') b.pop_back();
  return b;
}

std::string query_param(const std::string& target, const std::string& key) {
  auto q = target.find('?');
  if (q == std::string::npos) return {};
  std::string query = target.substr(q + 1);
  std::size_t pos = 0;
  while (pos <= query.size()) {
    auto amp = query.find('&', pos);
    std::string pair = query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    if (pair.rfind(key + "=", 0) == 0) {
      std::string v = pair.substr(key.size() + 1), out;
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '%' && i + 2 < v.size()) {
          out += static_cast<char>(std::stoi(v.substr(i + 1, 2), nullptr, 16));
          i += 2;
        } else {
          out += v[i] == '+' ? ' ' : v[i];
        }
      }
      return out;
    }
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  return {};
}

}  // namespace

struct TokenServer::Keys {
  EVP_PKEY* key = nullptr;
  std::string cert_der;
  ~Keys() { EVP_PKEY_free(key); }
};

TokenServer::TokenServer(const std::filesystem::path& key_pem,
                         const std::filesystem::path& cert_pem, std::string user,
                         std::string password)
    : keys_(std::make_unique<Keys>()), user_(std::move(user)), password_(std::move(password)) {
  FILE* f = std::fopen(key_pem.c_str(), "r");
  if (!f) throw std::runtime_error("token server: cannot open " + key_pem.string());
  keys_->key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  f = std::fopen(cert_pem.c_str(), "r");
  if (!f) throw std::runtime_error("token server: cannot open " + cert_pem.string());
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (!keys_->key || !cert) throw std::runtime_error("token server: bad key or certificate");
  unsigned char* der = nullptr;
  int len = i2d_X509(cert, &der);
  keys_->cert_der.assign(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  X509_free(cert);
  server_ = std::make_unique<TestServer>(
      [this](const TestRequest& r, TestConnection& c) { return handle(r, c); });
}

TokenServer::~TokenServer() {
  server_.reset();
}

std::string TokenServer::realm() const {
  return "http://" + server_->host() + "/token";
}

std::string TokenServer::sign(const std::string& scope, const std::string& service) {
  using nlohmann::json;
  json access = json::array();
  // "repository:name/with/slashes:pull,push"
  auto first = scope.find(':');
  auto last = scope.rfind(':');
  if (first != std::string::npos && last > first) {
    json actions = json::array();
    std::string list = scope.substr(last + 1);
    for (std::size_t p = 0; p <= list.size();) {
      auto c = list.find(',', p);
      actions.push_back(list.substr(p, c == std::string::npos ? std::string::npos : c - p));
      if (c == std::string::npos) break;
      p = c + 1;
    }
    access.push_back({{"type", scope.substr(0, first)},
                      {"name", scope.substr(first + 1, last - first - 1)},
                      {"actions", actions}});
  }
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  json header = {{"alg", "RS256"},
                 {"typ", "JWT"},
                 {"x5c", json::array({image::base64_encode(keys_->cert_der)})}};
  json claims = {{"iss", kIssuer},
                 {"sub", user_},
                 {"aud", service},
                 {"exp", now + 300},
                 {"nbf", now - 10},
                 {"iat", now},
                 {"jti", fmt::format("skiff-{}-{}", now, issued_.load())},
                 {"access", access}};
  std::string signing_input = base64url(header.dump()) + "." + base64url(claims.dump());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t sig_len = 0;
  std::string sig;
  if (EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, keys_->key) != 1 ||
      EVP_DigestSign(ctx, nullptr, &sig_len,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    EVP_MD_CTX_free(ctx);
    throw std::runtime_error("token server: signing failed");
  }
  sig.resize(sig_len);
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &sig_len,
                 reinterpret_cast<const unsigned char*>(signing_input.data()),
                 signing_input.size());
  EVP_MD_CTX_free(ctx);
  sig.resize(sig_len);
  return signing_input + "." + base64url(sig);
}

bool TokenServer::handle(const TestRequest& req, TestConnection& conn) {
  std::string want = "Basic " + image::base64_encode(user_ + ":" + password_);
  if (req.target.rfind("/token", 0) != 0) {
    return conn.write(http_response(404, "Not Found", {}, "")) && true;
  }
  if (req.header("authorization") != want) {
    conn.write(http_response(401, "Unauthorized", {{"Content-Type", "application/json"}},
                             R"({"details":"bad credentials"})"));
    return true;
  }
  std::string token = sign(query_param(req.target, "scope"), query_param(req.target, "service"));
  ++issued_;
  nlohmann::json body = {{access_token_field_ ? "access_token" : "token", token},
                         {"expires_in", 300}};
  return conn.write(http_response(200, "OK", {{"Content-Type", "application/json"}}, body.dump()));
}

}  // namespace skiff::testing
