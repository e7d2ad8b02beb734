// OpenSSL's EVP digest API (libssl-dev): md5 and the os_hash_algo family, streamed.
#include <openssl/evp.h>
// Its X.509 verifier: why a server's certificate was refused, in OpenSSL's words (CertificateCheck).
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
