#include "image/registry/registry_client.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common/json_parse.h"
#include "image/registry/challenge.h"
#include "image/registry/reference.h"
#include "image/store/oci_types.h"

namespace skiff::image {

namespace {

constexpr std::size_t kMaxErrorBody = 64 * 1024;
constexpr std::size_t kMaxTokenBody = 1024 * 1024;
constexpr int kMaxRedirects = 5;

bool is_redirect(unsigned s) {
  return s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
}

// Best effort: the registry's own explanation, from its {"errors": [...]} body.
std::string explain(HttpSession& session) {
  std::string body;
  try {
    body = session.read_body_all(kMaxErrorBody, "error body");
  } catch (const Error&) {
    return {};
  }
  auto doc = skiff::parse_json_or_discarded(body);
  std::string out;
  if (doc.is_object() && doc.contains("errors") && doc["errors"].is_array()) {
    for (const auto& e : doc["errors"]) {
      if (!e.is_object()) continue;
      std::string code = e.value("code", "");
      std::string message = e.contains("message") && e["message"].is_string()
                                ? e["message"].get<std::string>()
                                : std::string();
      out +=
          fmt::format("{}{}{}{}", out.empty() ? "" : "; ", code, code.empty() ? "" : ": ", message);
    }
  }
  return out;
}

std::string media_type_of(const std::string& content_type) {
  auto semi = content_type.find(';');
  std::string t = content_type.substr(0, semi);
  while (!t.empty() && t.back() == ' ') t.pop_back();
  return t;
}

}  // namespace

RegistryClient::RegistryClient(std::string registry, std::string display, std::string repository,
                               ClientOptions options, std::optional<Credentials> credentials)
    : registry_(std::move(registry)),
      display_(std::move(display)),
      repository_(std::move(repository)),
      options_(std::move(options)),
      credentials_(std::move(credentials)) {}

RegistryClient::~RegistryClient() = default;

bool RegistryClient::https() const {
  std::lock_guard lock(mu_);
  return https_.value_or(true);
}

HttpSettings RegistryClient::settings_for(const std::string& authority) const {
  HttpSettings s;
  s.ca_file = options_.ca_file;
  s.connect_timeout = options_.connect_timeout;
  s.idle_timeout = options_.idle_timeout;
  std::string host = authority.substr(0, authority.rfind(':'));
  for (const std::string& entry : options_.insecure_registries) {
    std::string e = canonical_registry(entry);
    if (e == canonical_registry(authority) || e == canonical_registry(host)) s.verify_tls = false;
  }
  return s;
}

void RegistryClient::choose_scheme() {
  std::lock_guard lock(mu_);
  if (https_) return;
  HttpSettings s = settings_for(registry_);
  if (s.verify_tls) {
    https_ = true;
    return;
  }
  // Insecure registries, as podman treats them: HTTPS without verification if the
  // registry speaks it, else plain HTTP.
  Url u = Url::parse("https://" + registry_ + "/v2/");
  auto session = std::make_unique<HttpSession>(true, u.host, u.port, s);
  try {
    session->get(u.target, {});
    session->close();
    https_ = true;
  } catch (const Error&) {
    https_ = false;
  }
}

std::string RegistryClient::auth_header() {
  std::lock_guard lock(mu_);
  return auth_;
}

bool RegistryClient::authenticate(const HttpResponse& r, const std::string& sent) {
  std::vector<Challenge> challenges;
  for (const std::string& h : r.all("www-authenticate")) {
    for (Challenge& c : parse_challenges(h)) challenges.push_back(std::move(c));
  }
  const Challenge* bearer = nullptr;
  const Challenge* basic = nullptr;
  for (const Challenge& c : challenges) {
    if (c.scheme == "bearer" && !bearer) bearer = &c;
    if (c.scheme == "basic" && !basic) basic = &c;
  }
  std::lock_guard lock(mu_);
  if (bearer) {
    std::string scope = bearer->param("scope");
    if (scope.empty()) scope = fmt::format("repository:{}:pull", repository_);
    if (auto it = tokens_.find(scope); it != tokens_.end() && "Bearer " + it->second != sent) {
      auth_ = "Bearer " + it->second;
      return true;
    }
    std::string realm = bearer->param("realm");
    if (realm.empty()) {
      throw Error(fmt::format("{}: bearer challenge without a realm", name()));
    }
    Url u = Url::parse(realm);
    std::string query =
        "service=" + url_encode(bearer->param("service")) + "&scope=" + url_encode(scope);
    std::string token_origin = u.origin() + u.target;
    u.target += (u.target.find('?') == std::string::npos ? "?" : "&") + query;
    HttpSession session(u.https, u.host, u.port, settings_for(u.host + ":" + u.port));
    HeaderList h;
    if (credentials_) {
      h.emplace_back("Authorization", "Basic " + base64_encode(credentials_->username + ":" +
                                                               credentials_->password));
    }
    HttpResponse tr = session.get(u.target, h);
    if (tr.status != 200) {
      std::string why = explain(session);
      throw RegistryError(
          fmt::format("token server {} for {} (scope {}): HTTP {} {}{}{}", token_origin, name(),
                      scope, tr.status, tr.reason, why.empty() ? "" : ": " + why,
                      tr.status == 401
                          ? (credentials_ ? " (credentials refused)"
                                          : " (no credentials found for " + display_ + ")")
                          : ""),
          tr.status, tr.status >= 500 || tr.status == 429);
    }
    std::string body = session.read_body_all(kMaxTokenBody, "token response from " + token_origin);
    auto doc = skiff::parse_json_or_discarded(body);
    std::string token;
    for (const char* key : {"token", "access_token"}) {
      if (doc.is_object() && doc.contains(key) && doc[key].is_string()) {
        token = doc[key].get<std::string>();
        if (!token.empty()) break;
      }
    }
    if (token.empty()) {
      throw Error(fmt::format("token server {}: response has no \"token\" or \"access_token\"",
                              token_origin));
    }
    tokens_[scope] = token;
    auth_ = "Bearer " + token;
    return auth_ != sent;
  }
  if (basic && credentials_) {
    std::string v = "Basic " + base64_encode(credentials_->username + ":" + credentials_->password);
    if (v == sent) return false;
    auth_ = v;
    return true;
  }
  return false;
}

OpenResponse RegistryClient::request(const std::string& path, const HeaderList& extra,
                                     std::unique_ptr<HttpSession> reuse) {
  choose_scheme();
  Url url = Url::parse((https() ? "https://" : "http://") + registry_ + path);
  const std::string home = url.origin();
  std::unique_ptr<HttpSession> session = std::move(reuse);
  if (!session || session->origin() != home) {
    session = std::make_unique<HttpSession>(url.https, url.host, url.port,
                                            settings_for(url.host + ":" + url.port));
  }
  bool tried_auth = false;
  for (int hop = 0; hop <= kMaxRedirects;) {
    HeaderList h = extra;
    // Credentials go only to the registry itself, never to where it redirects.
    bool at_home = url.origin() == home;
    std::string sent = at_home ? auth_header() : std::string();
    if (!sent.empty()) h.emplace_back("Authorization", sent);
    HttpResponse r = session->get(url.target, h);
    if (r.status == 401 && at_home && !tried_auth) {
      tried_auth = true;
      if (authenticate(r, sent)) {
        session->close();  // the 401's body is not worth reading
        continue;
      }
    }
    if (is_redirect(r.status)) {
      std::string location = r.header("location");
      if (location.empty()) break;
      session->close();
      url = url.resolve(location);
      session = std::make_unique<HttpSession>(url.https, url.host, url.port,
                                              settings_for(url.host + ":" + url.port));
      ++hop;
      continue;
    }
    return {std::move(session), std::move(r), url};
  }
  throw Error(fmt::format("{}: GET {}: too many redirects", name(), path));
}

void RegistryClient::fail(const std::string& what, OpenResponse& o) {
  const HttpResponse& r = o.response;
  std::string why = explain(*o.session);
  std::string hint;
  if (r.status == 401) {
    hint = credentials_ ? " (the registry refused the credentials from the auth file)"
                        : fmt::format(
                              " (no credentials for {} in the auth file; log in or give "
                              "--authfile)",
                              display_);
  }
  throw RegistryError(fmt::format("{} {}: HTTP {} {}{}{}", what, name(), r.status, r.reason,
                                  why.empty() ? "" : " (" + why + ")", hint),
                      r.status, r.status >= 500 || r.status == 429 || r.status == 408);
}

FetchedManifest RegistryClient::fetch_manifest(std::string_view reference) {
  const std::string what = fmt::format("manifest {}", reference);
  std::string accept =
      fmt::format("{}, {}, {}, {}", media_type::kOciIndex, media_type::kOciManifest,
                  media_type::kDockerList, media_type::kDockerManifest);
  OpenResponse o = request(fmt::format("/v2/{}/manifests/{}", repository_, reference),
                           {{"Accept", accept}}, std::move(manifest_session_));
  if (o.response.status != 200) fail("GET " + what + " from", o);
  if (o.response.content_length && *o.response.content_length > kMaxManifestSize) {
    throw Error(
        fmt::format("{}: {}: Content-Length {} is above the {}-byte manifest limit; "
                    "refused",
                    name(), what, *o.response.content_length, kMaxManifestSize));
  }
  FetchedManifest m{o.session->read_body_all(kMaxManifestSize, fmt::format("{}: {}", name(), what)),
                    media_type_of(o.response.header("content-type")), sha256_of("")};
  manifest_session_ = std::move(o.session);
  if (is_schema1_type(m.media_type)) {
    throw Error(
        fmt::format("{}: {} is a Docker schema1 manifest ({}), which is deprecated and "
                    "not supported; push the image again with a current tool",
                    name(), what, m.media_type));
  }
  m.digest = sha256_of(m.body);
  if (Digest::problem(reference).empty() && Digest::parse(reference) != m.digest) {
    throw Error(fmt::format("{}: {}: the registry sent a manifest whose digest is {}", name(), what,
                            m.digest.str()));
  }
  std::string claimed = o.response.header("docker-content-digest");
  if (!claimed.empty() && Digest::problem(claimed).empty() && Digest::parse(claimed) != m.digest) {
    throw Error(fmt::format("{}: {}: Docker-Content-Digest says {} but the body hashes to {}",
                            name(), what, claimed, m.digest.str()));
  }
  return m;
}

OpenResponse RegistryClient::open_blob(const Digest& digest, std::uint64_t offset) {
  HeaderList h;
  if (offset > 0) h.emplace_back("Range", fmt::format("bytes={}-", offset));
  OpenResponse o = request(fmt::format("/v2/{}/blobs/{}", repository_, digest.str()), h, nullptr);
  if (o.response.status == 200 || (o.response.status == 206 && offset > 0)) return o;
  fail("GET blob " + digest.str() + " from", o);
}

}  // namespace skiff::image
