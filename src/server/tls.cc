// tls: context set-up, the self-signed pair, and ALPN.
#include "server/tls.h"

#include "common/private_file.h"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <filesystem>
#include <stdexcept>

namespace spate::server {
namespace {

namespace fs = std::filesystem;

// ALPN protocol ids in the server's order of preference.
constexpr std::string_view preferred_protocols[] = {"h2", "http/1.1"};

// Picks the first of our protocols that the client's list (length-prefixed names) holds.
int select_alpn(SSL*, const unsigned char** out, unsigned char* out_len, const unsigned char* in,
                unsigned int in_len, void*) {
  for (std::string_view wanted : preferred_protocols) {
    for (unsigned int i = 0; i < in_len;) {
      const unsigned int len = in[i];
      if (i + 1 + len > in_len) break;  // a malformed list: ignore the rest
      const std::string_view offered(reinterpret_cast<const char*>(in + i + 1), len);
      if (offered == wanted) {
        *out = in + i + 1;
        *out_len = static_cast<unsigned char>(len);
        return SSL_TLSEXT_ERR_OK;
      }
      i += 1 + len;
    }
  }
  return SSL_TLSEXT_ERR_NOACK;  // none in common: go on without ALPN (HTTP/1.1)
}

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what);
}

struct pkey_free {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct x509_free {
  void operator()(X509* x) const { X509_free(x); }
};

void add_extension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext || !X509_add_ext(cert, ext, -1)) fail("cannot build the self-signed certificate");
  X509_EXTENSION_free(ext);
}

// The PEM text that `write` puts into a memory BIO.
template <class Write>
std::string pem_text(Write write, const std::string& what) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio || !write(bio.get())) fail("cannot encode " + what);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

// Writes a fresh key and certificate to `key_path` and `cert_path` (each through a temporary
// file and a rename, so a crash never leaves half a pair that a later start would trust).
void make_self_signed(const fs::path& key_path, const fs::path& cert_path) {
  std::unique_ptr<EVP_PKEY, pkey_free> key(EVP_EC_gen("P-256"));
  std::unique_ptr<X509, x509_free> cert(X509_new());
  if (!key || !cert) fail("cannot generate a self-signed key");
  X509_set_version(cert.get(), 2);  // v3, for the extensions
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 825L * 24 * 3600);  // what browsers accept
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Spate spated (self-signed)"),
                             -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  // An end-entity certificate that is its own trust anchor (clients pass the file as their CA
  // bundle); not a CA, so verifiers that refuse a CA used as a server certificate accept it.
  add_extension(cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert.get(), NID_key_usage, "critical,digitalSignature");
  add_extension(cert.get(), NID_ext_key_usage, "serverAuth");
  add_extension(cert.get(), NID_subject_key_identifier, "hash");
  add_extension(cert.get(), NID_authority_key_identifier, "keyid:always");
  add_extension(cert.get(), NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1");
  if (!X509_sign(cert.get(), key.get(), EVP_sha256())) fail("cannot sign the certificate");

  // Each file goes through a fresh temporary file (never a planted name or link) and a rename:
  // the key is 0600 from its first byte; the certificate is public.
  const std::string key_pem = pem_text(
      [&](BIO* out) {
        return PEM_write_bio_PrivateKey(out, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
      },
      "the private key");
  const std::string cert_pem =
      pem_text([&](BIO* out) { return PEM_write_bio_X509(out, cert.get()); }, "the certificate");
  if (auto r = write_private_file(key_path.string(), key_pem, 0600); !r) {
    fail("cannot write " + key_path.string() + ": " + r.error().message());
  }
  if (auto r = write_private_file(cert_path.string(), cert_pem, 0644); !r) {
    fail("cannot write " + cert_path.string() + ": " + r.error().message());
  }
}

}  // namespace

std::shared_ptr<net::ssl::context> make_tls_context(const tls_options& options,
                                                    std::string* certificate_path) {
  std::string cert_file = options.cert_file;
  std::string key_file = options.key_file;
  if (!options.self_signed_dir.empty()) {
    const fs::path dir = options.self_signed_dir;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) fail("cannot create " + dir.string() + ": " + ec.message());
    const fs::path key_path = dir / "self-signed.key";
    const fs::path cert_path = dir / "self-signed.crt";
    if (!fs::exists(key_path) || !fs::exists(cert_path)) make_self_signed(key_path, cert_path);
    cert_file = cert_path.string();
    key_file = key_path.string();
    if (certificate_path) *certificate_path = cert_file;
  }
  if (cert_file.empty() || key_file.empty()) fail("TLS needs both --tls-cert and --tls-key");

  auto ctx = std::make_shared<net::ssl::context>(net::ssl::context::tls_server);
  ctx->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                   net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                   net::ssl::context::no_tlsv1_1 | net::ssl::context::single_dh_use);
  beast::error_code ec;
  ctx->use_certificate_chain_file(cert_file, ec);
  if (ec) fail("cannot load the TLS certificate " + cert_file + ": " + ec.message());
  ctx->use_private_key_file(key_file, net::ssl::context::pem, ec);
  if (ec) fail("cannot load the TLS key " + key_file + ": " + ec.message());
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    fail("the TLS key " + key_file + " does not match the certificate " + cert_file);
  }
  SSL_CTX_set_alpn_select_cb(ctx->native_handle(), select_alpn, nullptr);
  return ctx;
}

std::string_view alpn_protocol(tls_stream& stream) {
  const unsigned char* data = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(stream.native_handle(), &data, &len);
  return data ? std::string_view(reinterpret_cast<const char*>(data), len) : std::string_view{};
}

}  // namespace spate::server
