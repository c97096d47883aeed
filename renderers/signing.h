// Document-signing identities. The ledger runs its own certificate authority
// (ECDSA P-256, in <data>/keys/ca/) that issues each authority an X.509
// document-signing certificate (<data>/keys/<AUTH>/document-signing.*), so
// PDF validators (pdfsig) name the authority and can check the chain. PDF
// signatures are CMS detached (adbe.pkcs7.detached, SHA-256) over the exact
// byte ranges. SM2/SM3 stays with the event signatures and OFD seals
// (pdfsig does not know SM2: doc/document_formats.md).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "ledger/crypto/keys.h"
#include "ledger/domain/certificate.h"
#include "ledger/keyring.h"
#include "ledger/util/result.h"

typedef struct x509_st X509;

namespace certledger::render {

struct X509Deleter {
  void operator()(X509* x) const;
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

struct SigningIdentity {
  std::shared_ptr<const crypto::PrivateKey> key;  // ECDSA P-256
  std::shared_ptr<X509> certificate;
  std::shared_ptr<X509> ca_certificate;
  std::string subject;  // the authority's name
};

// The authority's OFD seal (GB/T 38540): an SM2 key with its certificate
// from the same CA (<data>/keys/<AUTH>/seal-sm2.*); the CA makes the seal.
struct SealIdentity {
  std::shared_ptr<const crypto::PrivateKey> key;  // SM2
  std::shared_ptr<X509> certificate;
  std::shared_ptr<const crypto::PrivateKey> maker_key;  // the CA's ECDSA P-256 key
  std::shared_ptr<X509> maker_certificate;
  std::string name;  // the authority's name
  std::string code;
};

// The private keys are the key ring's (its files, its passphrase rule);
// the certificates lie beside them as <name>.crt.
// Creates the CA if the key ring has none.
Status ensure_ca(const KeyRing& keys, const std::string& ca_name);
// The authority's document-signing identity, issued by the CA on first use.
Result<SigningIdentity> document_signer(const KeyRing& keys, const domain::AuthorityInfo& authority);
Result<SealIdentity> seal_signer(const KeyRing& keys, const domain::AuthorityInfo& authority);
// CMS SignedData, detached, SHA-256, DER; the CA certificate included.
Result<std::string> cms_sign_detached(const SigningIdentity& id, std::string_view data);
std::string certificate_pem(X509* cert);

}  // namespace certledger::render
