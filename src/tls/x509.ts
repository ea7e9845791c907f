/**
 * The one door to @peculiar/x509 (CRL parsing, certificate building): Node's
 * crypto parses certificates and keys but neither CRLs nor builds
 * certificates. The library resolves its algorithms through tsyringe, which
 * needs the Reflect metadata polyfill loaded first; ES modules evaluate their
 * imports in order, so importing the polyfill above the library is enough.
 * Its crypto provider is set to Node's WebCrypto once, here.
 */
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import { cryptoProvider } from "@peculiar/x509";

cryptoProvider.set(webcrypto);

export {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  type Extension,
  KeyUsageFlags,
  KeyUsagesExtension,
  PemConverter,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate,
  X509CertificateGenerator,
  X509Crl,
  X509CrlGenerator,
  X509CrlReason,
  type JsonGeneralName,
} from "@peculiar/x509";
