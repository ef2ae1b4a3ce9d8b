/**
 * X.509 signature checking injected into the sans-I/O core (node:crypto's X509Certificate in
 * native-helper/platform/crypto/node-signature-provider.ts). The core extracts and checks the
 * certificate fields itself (certificate.ts); the signature over the TBSCertificate, which for
 * RSA needs a big-number implementation and strict padding checks, is the provider's.
 */
export interface CertificateProvider {
  /**
   * Was `certDer` signed by the key `issuerSpki`? The provider parses the certificate with its
   * own X.509 parser too, so a certificate it cannot parse is refused. False on anything
   * malformed (never throws).
   */
  verifyCertificateSignature(certDer: Uint8Array, issuerSpki: Uint8Array): boolean;
}
