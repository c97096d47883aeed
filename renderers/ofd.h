// The certificate as an OFD document (GB/T 33190-2016) for the kinds whose
// notices ask for it (seeds 001 and 003; kind descriptor `ofd`): a zip
// container with OFD.xml, Doc_0/Document.xml, public and document resources
// (the subset TrueType font, the QR code as PNG, the photo), one
// Content.xml per page with the same layout as the PDF, and the seal
// signature: Doc_0/Signs/Signatures.xml, Sign_0/Signature.xml listing the
// SM3 of every other file (CheckMethod 1.2.156.10197.1.401), SignedValue.dat
// holding a GB/T 38540 SES_Signature over Signature.xml whose seal picture
// (an OFD of the red seal) appears at the StampAnnot over the issuing line.
// doc/document_formats.md describes exactly what is signed and how. The
// page drawing is renderers/ofd_canvas.h, the zip container renderers/zip.h.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "renderers/pdf.h"
#include "renderers/ses.h"
#include "renderers/zip.h"

namespace certledger::render {

Result<std::string> render_ofd(const DocumentInput& in, const SealIdentity& seal, UnixMillis signing_time);

// Reads an OFD package back: every file digest in Signature.xml, the
// SES_Signature over Signature.xml, and that every file of the package
// except the signature's own is covered. The files are returned for tests.
struct OfdVerified {
  SesVerified seal;
  std::map<std::string, std::string> files;  // path -> bytes
};
Result<OfdVerified> verify_ofd(std::string_view ofd);

}  // namespace certledger::render
