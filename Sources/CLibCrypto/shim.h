// OpenSSL's EVP digest API (libssl-dev): md5 and the os_hash_algo family, streamed.
#include <openssl/evp.h>
