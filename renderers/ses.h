// Electronic seals and seal signatures after GB/T 38540-2020 (信息安全技术
// 安全电子签章密码技术规范), version 4 structures in DER:
//
//   SESeal        = { SES_SealInfo, maker cert, signAlgID, signedValue }
//   SES_SealInfo  = { header {"ES", 4, vendor}, esID, property, picture }
//   SES_Signature = { TBS_Sign, signer cert, signAlgID, signature }
//   TBS_Sign      = { 4, SESeal, timeInfo, dataHash, propertyInfo }
//
// The seal maker (制章人) is the ledger's document CA (ECDSA P-256 with
// SHA-256, over the DER of {SES_SealInfo, cert, signAlgID}); the signer is
// the authority's SM2 seal key with its X.509 certificate from the same CA
// (SM2 with SM3, distinguishing ID 1234567812345678, over the DER of
// TBS_Sign). dataHash is the SM3 of the signed bytes (in OFD: the
// Signature.xml file). The seal picture is a small OFD document (type "ofd").
#pragma once

#include <string>
#include <string_view>

#include "ledger/util/result.h"
#include "ledger/util/time.h"
#include "renderers/signing.h"

namespace certledger::render {

std::string sm3(std::string_view data);      // 32 raw bytes
std::string generalized_time(UnixMillis t);  // YYYYMMDDHHMMSSZ (UTC), as in SES and OFD SignatureDateTime

struct SealPicture {
  std::string type;  // "ofd", "png", ...
  std::string data;
  int width_mm = 0, height_mm = 0;
};

// The authority's seal (SESeal), made by the CA.
Result<std::string> make_seal(const SealIdentity& id, const SealPicture& picture, UnixMillis created);
// SES_Signature over data with the seal; property_info names what data is
// (in OFD the path of Signature.xml).
Result<std::string> ses_sign(const SealIdentity& id, const std::string& seal_der, std::string_view data,
                             std::string_view property_info, UnixMillis when);

// What a verifier learns from an SES_Signature (checks every signature and
// the data hash; the certificates are returned for the caller to trust).
struct SesVerified {
  std::string seal_name;       // SES_ESPropertyInfo.name
  std::string signer_subject;  // CN of the signer certificate
  std::string picture_type;
  std::string picture;
  UnixMillis time = 0;
};
Result<SesVerified> ses_verify(std::string_view ses_der, std::string_view data);

}  // namespace certledger::render
