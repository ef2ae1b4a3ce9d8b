/*
 * tsunagi_esp: batched ESP crypto (RFC 4303) through the OpenSSL of the Node that loads it.
 *
 * Why: node:crypto binds the nonce when a cipher object is created, so every ESP packet cost a
 * createCipheriv (≈ 25 % of the helper's CPU under iperf3). Here each SA direction keeps one
 * EVP_CIPHER_CTX with the key schedule set once; a packet costs an IV re-init and the cipher
 * itself, and a batch of packets costs one call from JS.
 *
 * No link-time dependency on OpenSSL: every EVP/HMAC function is looked up with
 * dlsym(RTLD_DEFAULT, …) when the module loads. Node exports its statically linked OpenSSL;
 * Electron's Node (ELECTRON_RUN_AS_NODE) carries BoringSSL and may export nothing. A missing
 * function makes the algorithms that need it unavailable (`algorithms`, `missing`): the module
 * still loads and the TypeScript side keeps node:crypto for those. The headers only give types
 * and constants (the function pointers take the declared types through __typeof__).
 *
 *   createSa({ alg, key, salt, icvLength, spi, ivMask, hash, integKey }) -> handle
 *   seal(handle, inners[], count, nextHeaders: Uint16Array, firstSeq, out, ivs?) -> bytes written
 *   open(handle, packets[], count, status: Uint8Array, out) -> authentic packets
 *
 * seal writes count ESP packets back to back into `out`: SPI ‖ Seq ‖ IV ‖ E(inner ‖ 1, 2, 3, … ‖
 * PadLen ‖ NextHeader) ‖ ICV. nextHeaders[i] = 256 skips inner i (not IP, or no sequence number
 * left: decided in JS); the others take firstSeq, firstSeq + 1, … in order. AEAD IV = (0 ‖ seq) ⊕
 * ivMask (RFC 4106 §3.1 / RFC 7634 §2 uniqueness; strongSwan's iv_gen_seq), nonce = salt ‖ IV,
 * AAD = SPI ‖ Seq. AES-CBC takes its IVs (16 bytes per sealed packet) from `ivs`, drawn in JS from
 * the injected Random, and appends truncated HMAC-SHA2 over SPI ‖ Seq ‖ IV ‖ ciphertext.
 *
 * open authenticates packets[i] where status[i] = 1 (other values are left alone; JS did the
 * length, SPI and replay checks: "check, authenticate, commit" stays in TypeScript) and decrypts
 * its ciphertext into `out`, the packets' plaintexts back to back; status becomes 1 (authentic) or
 * 0. The received packets are never written to. CBC verifies the HMAC before decrypting anything.
 */
#define NAPI_VERSION 8
#define OPENSSL_SUPPRESS_DEPRECATED /* HMAC_CTX: the one keyed-MAC API OpenSSL and BoringSSL share */
#include <node_api.h>

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#define SKIP_NH 256
#define MAX_ICV 32
#define ESP_HDR 8

/* ---------- run-time symbol resolution ---------- */

#define SYMBOLS(X)                 \
  X(EVP_CIPHER_CTX_new)            \
  X(EVP_CIPHER_CTX_free)           \
  X(EVP_CipherInit_ex)             \
  X(EVP_CipherUpdate)              \
  X(EVP_CipherFinal_ex)            \
  X(EVP_CIPHER_CTX_ctrl)           \
  X(EVP_CIPHER_CTX_set_padding)    \
  X(EVP_aes_128_gcm)               \
  X(EVP_aes_192_gcm)               \
  X(EVP_aes_256_gcm)               \
  X(EVP_chacha20_poly1305)         \
  X(EVP_aes_128_cbc)               \
  X(EVP_aes_192_cbc)               \
  X(EVP_aes_256_cbc)               \
  X(HMAC_CTX_new)                  \
  X(HMAC_CTX_free)                 \
  X(HMAC_Init_ex)                  \
  X(HMAC_Update)                   \
  X(HMAC_Final)                    \
  X(EVP_sha256)                    \
  X(EVP_sha384)                    \
  X(EVP_sha512)

#define DECLARE(name) static __typeof__(&name) p_##name;
SYMBOLS(DECLARE)
#undef DECLARE

/* Which algorithm families have every function they need. */
static int have_core, have_gcm, have_chacha, have_cbc;
static const char *missing_names[32];
static unsigned missing_count;
static int resolved;

static void resolve_symbols(void) {
  if (resolved) return;
  resolved = 1;
#define RESOLVE(name)                                              \
  *(void **)(&p_##name) = dlsym(RTLD_DEFAULT, #name);              \
  if (!p_##name && missing_count < sizeof missing_names / sizeof missing_names[0]) \
    missing_names[missing_count++] = #name;
  SYMBOLS(RESOLVE)
#undef RESOLVE
  have_core = p_EVP_CIPHER_CTX_new && p_EVP_CIPHER_CTX_free && p_EVP_CipherInit_ex &&
              p_EVP_CipherUpdate && p_EVP_CipherFinal_ex && p_EVP_CIPHER_CTX_ctrl;
  have_gcm = have_core && p_EVP_aes_128_gcm && p_EVP_aes_192_gcm && p_EVP_aes_256_gcm;
  have_chacha = have_core && p_EVP_chacha20_poly1305;
  have_cbc = have_core && p_EVP_CIPHER_CTX_set_padding && p_EVP_aes_128_cbc && p_EVP_aes_192_cbc &&
             p_EVP_aes_256_cbc && p_HMAC_CTX_new && p_HMAC_CTX_free && p_HMAC_Init_ex &&
             p_HMAC_Update && p_HMAC_Final && p_EVP_sha256 && p_EVP_sha384 && p_EVP_sha512;
}

/* ---------- one SA ---------- */

enum { ALG_AES_GCM = 1, ALG_CHACHA20_POLY1305 = 2, ALG_AES_CBC_HMAC = 3 };

typedef struct esp_sa {
  int alg;
  uint32_t spi;
  uint32_t mask_hi, mask_lo;
  unsigned char salt[4];
  unsigned icv_len, iv_len, align;
  EVP_CIPHER_CTX *enc, *dec; /* key set once; only the IV changes per packet */
  HMAC_CTX *mac_enc, *mac_dec;
} esp_sa;

static void sa_free(esp_sa *sa) {
  if (sa->enc) p_EVP_CIPHER_CTX_free(sa->enc); /* frees and cleanses the key schedule */
  if (sa->dec) p_EVP_CIPHER_CTX_free(sa->dec);
  if (sa->mac_enc) p_HMAC_CTX_free(sa->mac_enc);
  if (sa->mac_dec) p_HMAC_CTX_free(sa->mac_dec);
  free(sa);
}

static void finalize_sa(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  sa_free(data);
}

static inline void put_u32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24);
  p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8);
  p[3] = (unsigned char)v;
}

/* ---------- argument helpers ---------- */

static int get_bytes(napi_env env, napi_value v, unsigned char **data, size_t *len) {
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return 0;
  napi_typedarray_type type;
  void *p = NULL;
  size_t n = 0;
  if (napi_get_typedarray_info(env, v, &type, &n, &p, NULL, NULL) != napi_ok) return 0;
  if (type != napi_uint8_array) return 0;
  *data = p;
  *len = n;
  return 1;
}

static int get_u16s(napi_env env, napi_value v, uint16_t **data, size_t *len) {
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return 0;
  napi_typedarray_type type;
  void *p = NULL;
  if (napi_get_typedarray_info(env, v, &type, len, &p, NULL, NULL) != napi_ok) return 0;
  if (type != napi_uint16_array) return 0;
  *data = p;
  return 1;
}

static napi_value prop(napi_env env, napi_value obj, const char *name) {
  napi_value v = NULL;
  napi_get_named_property(env, obj, name, &v);
  return v;
}

static int prop_u32(napi_env env, napi_value obj, const char *name, uint32_t *out) {
  return napi_get_value_uint32(env, prop(env, obj, name), out) == napi_ok;
}

static napi_value type_error(napi_env env, const char *msg) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
  return NULL;
}

static esp_sa *get_sa(napi_env env, napi_value v) {
  napi_valuetype t;
  void *p = NULL;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external ||
      napi_get_value_external(env, v, &p) != napi_ok) {
    type_error(env, "expected an ESP SA handle from createSa()");
    return NULL;
  }
  return p;
}

/* ---------- createSa ---------- */

static EVP_CIPHER_CTX *new_cipher_ctx(const EVP_CIPHER *cipher, const unsigned char *key, int enc,
                                      int aead) {
  EVP_CIPHER_CTX *ctx = p_EVP_CIPHER_CTX_new();
  if (!ctx) return NULL;
  if (p_EVP_CipherInit_ex(ctx, cipher, NULL, NULL, NULL, enc) != 1 ||
      (aead && p_EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) != 1) ||
      (!aead && p_EVP_CIPHER_CTX_set_padding(ctx, 0) != 1) ||
      p_EVP_CipherInit_ex(ctx, NULL, NULL, key, NULL, enc) != 1) {
    p_EVP_CIPHER_CTX_free(ctx);
    return NULL;
  }
  return ctx;
}

static napi_value js_create_sa(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value o;
  if (napi_get_cb_info(env, info, &argc, &o, NULL, NULL) != napi_ok || argc < 1)
    return type_error(env, "createSa(params)");
  uint32_t alg = 0, icv = 0, spi = 0;
  unsigned char *key = NULL, *salt = NULL, *mask = NULL, *ikey = NULL;
  size_t key_len = 0, salt_len = 0, mask_len = 0, ikey_len = 0;
  if (!prop_u32(env, o, "alg", &alg) || !prop_u32(env, o, "icvLength", &icv) ||
      !prop_u32(env, o, "spi", &spi) || !get_bytes(env, prop(env, o, "key"), &key, &key_len) ||
      !get_bytes(env, prop(env, o, "ivMask"), &mask, &mask_len) || mask_len != 8)
    return type_error(env, "createSa: alg, icvLength, spi, key and an 8-byte ivMask are required");

  const EVP_CIPHER *cipher = NULL;
  const EVP_MD *md = NULL;
  int aead = alg != ALG_AES_CBC_HMAC;
  if (alg == ALG_AES_GCM || alg == ALG_CHACHA20_POLY1305) {
    if (!get_bytes(env, prop(env, o, "salt"), &salt, &salt_len) || salt_len != 4)
      return type_error(env, "createSa: an AEAD needs a 4-byte salt");
    if (alg == ALG_AES_GCM) {
      if (!have_gcm) goto unavailable;
      if (!(icv == 8 || icv == 12 || icv == 16)) goto bad;
      cipher = key_len == 16   ? p_EVP_aes_128_gcm()
               : key_len == 24 ? p_EVP_aes_192_gcm()
               : key_len == 32 ? p_EVP_aes_256_gcm()
                               : NULL;
    } else {
      if (!have_chacha) goto unavailable;
      if (icv != 16 || key_len != 32) goto bad;
      cipher = p_EVP_chacha20_poly1305();
    }
  } else if (alg == ALG_AES_CBC_HMAC) {
    if (!have_cbc) goto unavailable;
    uint32_t hash = 0;
    if (!prop_u32(env, o, "hash", &hash) || !get_bytes(env, prop(env, o, "integKey"), &ikey, &ikey_len))
      return type_error(env, "createSa: AES-CBC needs hash (256/384/512) and integKey");
    md = hash == 256 ? p_EVP_sha256() : hash == 384 ? p_EVP_sha384() : hash == 512 ? p_EVP_sha512() : NULL;
    if (!md || icv != hash / 16 || ikey_len != hash / 8) goto bad;
    cipher = key_len == 16   ? p_EVP_aes_128_cbc()
             : key_len == 24 ? p_EVP_aes_192_cbc()
             : key_len == 32 ? p_EVP_aes_256_cbc()
                             : NULL;
  } else {
    goto bad;
  }
  if (!cipher) goto bad;

  esp_sa *sa = calloc(1, sizeof *sa);
  if (!sa) goto nomem;
  sa->alg = (int)alg;
  sa->spi = spi;
  sa->icv_len = icv;
  sa->iv_len = aead ? 8 : 16;
  sa->align = aead ? 4 : 16;
  sa->mask_hi = ((uint32_t)mask[0] << 24) | ((uint32_t)mask[1] << 16) | ((uint32_t)mask[2] << 8) | mask[3];
  sa->mask_lo = ((uint32_t)mask[4] << 24) | ((uint32_t)mask[5] << 16) | ((uint32_t)mask[6] << 8) | mask[7];
  if (aead) memcpy(sa->salt, salt, 4);
  sa->enc = new_cipher_ctx(cipher, key, 1, aead);
  sa->dec = new_cipher_ctx(cipher, key, 0, aead);
  int ok = sa->enc && sa->dec;
  if (ok && !aead) {
    sa->mac_enc = p_HMAC_CTX_new();
    sa->mac_dec = p_HMAC_CTX_new();
    ok = sa->mac_enc && sa->mac_dec &&
         p_HMAC_Init_ex(sa->mac_enc, ikey, (int)ikey_len, md, NULL) == 1 &&
         p_HMAC_Init_ex(sa->mac_dec, ikey, (int)ikey_len, md, NULL) == 1;
  }
  if (!ok) {
    sa_free(sa);
    napi_throw_error(env, "ERR_ESP_NATIVE", "OpenSSL refused to set up the SA's cipher contexts");
    return NULL;
  }
  napi_value handle;
  if (napi_create_external(env, sa, finalize_sa, NULL, &handle) != napi_ok) {
    sa_free(sa);
    goto nomem;
  }
  return handle;

unavailable:
  napi_throw_error(env, "ERR_ESP_NATIVE_UNAVAILABLE",
                   "this algorithm is not available through the runtime's OpenSSL");
  return NULL;
bad:
  napi_throw_range_error(env, "ERR_INVALID_ARG_VALUE", "createSa: bad key, ICV or hash length");
  return NULL;
nomem:
  napi_throw_error(env, "ENOMEM", "createSa: out of memory");
  return NULL;
}

/* ---------- seal ---------- */

/* Seals one packet at `out` (room checked by the caller); returns 0 when OpenSSL fails. */
static int seal_one(esp_sa *sa, const unsigned char *inner, size_t len, unsigned nh, uint32_t seq,
                    const unsigned char *cbc_iv, unsigned char *out, size_t pt_len) {
  EVP_CIPHER_CTX *ctx = sa->enc;
  size_t pad = pt_len - len - 2;
  unsigned char tail[256 + 2 + 16];
  for (size_t i = 0; i < pad; i++) tail[i] = (unsigned char)(i + 1);
  tail[pad] = (unsigned char)pad;
  tail[pad + 1] = (unsigned char)nh;

  put_u32(out, sa->spi);
  put_u32(out + 4, seq);
  unsigned char *ct = out + ESP_HDR + sa->iv_len;
  int n = 0, total = 0;
  if (sa->alg != ALG_AES_CBC_HMAC) {
    unsigned char nonce[12];
    memcpy(nonce, sa->salt, 4);
    put_u32(out + 8, sa->mask_hi);
    put_u32(out + 12, sa->mask_lo ^ seq);
    memcpy(nonce + 4, out + 8, 8);
    if (p_EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, 1) != 1 ||
        p_EVP_CipherUpdate(ctx, NULL, &n, out, ESP_HDR) != 1)
      return 0;
  } else {
    memcpy(out + 8, cbc_iv, 16);
    if (p_EVP_CipherInit_ex(ctx, NULL, NULL, NULL, cbc_iv, 1) != 1) return 0;
  }
  n = 0; /* the AAD update above set it */
  if (len > 0 && p_EVP_CipherUpdate(ctx, ct, &n, inner, (int)len) != 1) return 0;
  total = n;
  if (p_EVP_CipherUpdate(ctx, ct + total, &n, tail, (int)(pad + 2)) != 1) return 0;
  total += n;
  if (p_EVP_CipherFinal_ex(ctx, ct + total, &n) != 1) return 0;
  total += n;
  if ((size_t)total != pt_len) return 0;
  unsigned char *icv = ct + pt_len;
  if (sa->alg != ALG_AES_CBC_HMAC) {
    if (p_EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, (int)sa->icv_len, icv) != 1) return 0;
  } else {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned mac_len = 0;
    if (p_HMAC_Init_ex(sa->mac_enc, NULL, 0, NULL, NULL) != 1 ||
        p_HMAC_Update(sa->mac_enc, out, ESP_HDR + 16 + pt_len) != 1 ||
        p_HMAC_Final(sa->mac_enc, mac, &mac_len) != 1 || mac_len < sa->icv_len)
      return 0;
    memcpy(icv, mac, sa->icv_len);
  }
  return 1;
}

static napi_value js_seal(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 6)
    return type_error(env, "seal(sa, inners, count, nextHeaders, firstSeq, out[, ivs])");
  esp_sa *sa = get_sa(env, argv[0]);
  if (!sa) return NULL;
  uint32_t count = 0, seq = 0;
  uint16_t *nhs = NULL;
  size_t nhs_len = 0, out_len = 0, ivs_len = 0;
  unsigned char *out = NULL, *ivs = NULL;
  if (napi_get_value_uint32(env, argv[2], &count) != napi_ok ||
      !get_u16s(env, argv[3], &nhs, &nhs_len) || nhs_len < count ||
      napi_get_value_uint32(env, argv[4], &seq) != napi_ok ||
      !get_bytes(env, argv[5], &out, &out_len))
    return type_error(env, "seal: bad count, nextHeaders, firstSeq or out");
  if (sa->alg == ALG_AES_CBC_HMAC && (argc < 7 || !get_bytes(env, argv[6], &ivs, &ivs_len)))
    return type_error(env, "seal: AES-CBC needs ivs");

  size_t off = 0, sealed = 0;
  for (uint32_t i = 0; i < count; i++) {
    if (nhs[i] >= SKIP_NH) continue;
    napi_value el;
    unsigned char *inner = NULL;
    size_t len = 0;
    if (napi_get_element(env, argv[1], i, &el) != napi_ok || !get_bytes(env, el, &inner, &len))
      return type_error(env, "seal: inners[i] is not a Uint8Array");
    size_t pt_len = (len + 2 + sa->align - 1) / sa->align * sa->align;
    size_t need = ESP_HDR + sa->iv_len + pt_len + sa->icv_len;
    if (off + need > out_len) {
      napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "seal: out is too small for the batch");
      return NULL;
    }
    if (ivs && (sealed + 1) * 16 > ivs_len) {
      napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "seal: not enough IVs for the batch");
      return NULL;
    }
    if (!seal_one(sa, inner, len, nhs[i], seq, ivs ? ivs + sealed * 16 : NULL, out + off, pt_len)) {
      napi_throw_error(env, "ERR_ESP_NATIVE", "seal: OpenSSL failed");
      return NULL;
    }
    seq++;
    sealed++;
    off += need;
  }
  napi_value r;
  napi_create_double(env, (double)off, &r);
  return r;
}

/* ---------- open ---------- */

static int ct_equal(const unsigned char *a, const unsigned char *b, size_t n) {
  volatile unsigned char d = 0;
  for (size_t i = 0; i < n; i++) d |= a[i] ^ b[i];
  return d == 0;
}

/* 1 when authentic (the plaintext then at `pt`, ct_len bytes), 0 when not. */
static int open_one(esp_sa *sa, const unsigned char *p, size_t n, unsigned char *pt) {
  size_t ct_start = ESP_HDR + sa->iv_len;
  size_t ct_len = n - ct_start - sa->icv_len;
  const unsigned char *ct = p + ct_start, *icv = ct + ct_len;
  EVP_CIPHER_CTX *ctx = sa->dec;
  int m = 0, total = 0;
  if (sa->alg != ALG_AES_CBC_HMAC) {
    unsigned char nonce[12];
    memcpy(nonce, sa->salt, 4);
    memcpy(nonce + 4, p + ESP_HDR, 8);
    unsigned char tag[MAX_ICV];
    memcpy(tag, icv, sa->icv_len); /* SET_TAG takes a non-const pointer */
    if (p_EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, 0) != 1 ||
        p_EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, (int)sa->icv_len, tag) != 1 ||
        p_EVP_CipherUpdate(ctx, NULL, &m, p, ESP_HDR) != 1 ||
        p_EVP_CipherUpdate(ctx, pt, &m, ct, (int)ct_len) != 1)
      return 0;
    total = m;
    /* Final fails when the tag does not match; `pt` then holds bytes nobody reads. */
    return p_EVP_CipherFinal_ex(ctx, pt + total, &m) == 1;
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned mac_len = 0;
  if (ct_len % 16 != 0 || p_HMAC_Init_ex(sa->mac_dec, NULL, 0, NULL, NULL) != 1 ||
      p_HMAC_Update(sa->mac_dec, p, ct_start + ct_len) != 1 ||
      p_HMAC_Final(sa->mac_dec, mac, &mac_len) != 1 || mac_len < sa->icv_len ||
      !ct_equal(mac, icv, sa->icv_len))
    return 0;
  /* Authentic: decrypt. */
  if (p_EVP_CipherInit_ex(ctx, NULL, NULL, NULL, p + ESP_HDR, 0) != 1 ||
      p_EVP_CipherUpdate(ctx, pt, &m, ct, (int)ct_len) != 1)
    return 0;
  total = m;
  if (p_EVP_CipherFinal_ex(ctx, pt + total, &m) != 1) return 0;
  return (size_t)(total + m) == ct_len;
}

/* The ciphertext length of a packet open_one may be given, or 0 when it is too short. */
static size_t ct_length(const esp_sa *sa, size_t n) {
  size_t overhead = ESP_HDR + sa->iv_len + sa->icv_len;
  return n < overhead + sa->align ? 0 : n - overhead;
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5)
    return type_error(env, "open(sa, packets, count, status, out)");
  esp_sa *sa = get_sa(env, argv[0]);
  if (!sa) return NULL;
  uint32_t count = 0;
  unsigned char *status = NULL, *out = NULL;
  size_t status_len = 0, out_len = 0, off = 0;
  if (napi_get_value_uint32(env, argv[2], &count) != napi_ok ||
      !get_bytes(env, argv[3], &status, &status_len) || status_len < count ||
      !get_bytes(env, argv[4], &out, &out_len))
    return type_error(env, "open: bad count, status or out");
  uint32_t ok = 0;
  for (uint32_t i = 0; i < count; i++) {
    if (status[i] != 1) continue;
    napi_value el;
    unsigned char *p = NULL;
    size_t n = 0;
    if (napi_get_element(env, argv[1], i, &el) != napi_ok || !get_bytes(env, el, &p, &n))
      return type_error(env, "open: packets[i] is not a Uint8Array");
    size_t ct_len = ct_length(sa, n);
    if (ct_len == 0) {
      status[i] = 0;
      continue;
    }
    if (off + ct_len > out_len) {
      napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "open: out is too small for the batch");
      return NULL;
    }
    status[i] = (unsigned char)open_one(sa, p, n, out + off);
    off += ct_len;
    ok += status[i];
  }
  napi_value r;
  napi_create_uint32(env, ok, &r);
  return r;
}

/* Single-packet forms: no arrays to build for EspSa.seal/open of one packet. */
static napi_value js_seal1(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5)
    return type_error(env, "seal1(sa, inner, nextHeader, seq, out[, iv])");
  esp_sa *sa = get_sa(env, argv[0]);
  if (!sa) return NULL;
  unsigned char *inner = NULL, *out = NULL, *iv = NULL;
  size_t len = 0, out_len = 0, iv_len = 0;
  uint32_t nh = 0, seq = 0;
  if (!get_bytes(env, argv[1], &inner, &len) || napi_get_value_uint32(env, argv[2], &nh) != napi_ok ||
      nh > 255 || napi_get_value_uint32(env, argv[3], &seq) != napi_ok ||
      !get_bytes(env, argv[4], &out, &out_len))
    return type_error(env, "seal1: bad inner, nextHeader, seq or out");
  if (sa->alg == ALG_AES_CBC_HMAC && (argc < 6 || !get_bytes(env, argv[5], &iv, &iv_len) || iv_len != 16))
    return type_error(env, "seal1: AES-CBC needs a 16-byte iv");
  size_t pt_len = (len + 2 + sa->align - 1) / sa->align * sa->align;
  if (ESP_HDR + sa->iv_len + pt_len + sa->icv_len > out_len) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "seal1: out is too small");
    return NULL;
  }
  if (!seal_one(sa, inner, len, nh, seq, iv, out, pt_len)) {
    napi_throw_error(env, "ERR_ESP_NATIVE", "seal: OpenSSL failed");
    return NULL;
  }
  return NULL;
}

static napi_value js_open1(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3)
    return type_error(env, "open1(sa, packet, out)");
  esp_sa *sa = get_sa(env, argv[0]);
  if (!sa) return NULL;
  unsigned char *p = NULL, *out = NULL;
  size_t n = 0, out_len = 0;
  if (!get_bytes(env, argv[1], &p, &n) || !get_bytes(env, argv[2], &out, &out_len))
    return type_error(env, "open1: packet and out must be Uint8Arrays");
  size_t ct_len = ct_length(sa, n);
  if (ct_len > out_len) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "open1: out is too small");
    return NULL;
  }
  napi_value r;
  napi_get_boolean(env, ct_len > 0 && open_one(sa, p, n, out), &r);
  return r;
}

/* ---------- module ---------- */

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  resolve_symbols();
  napi_value algs, v, missing;
  napi_create_object(env, &algs);
  napi_get_boolean(env, have_gcm, &v);
  napi_set_named_property(env, algs, "aesGcm", v);
  napi_get_boolean(env, have_chacha, &v);
  napi_set_named_property(env, algs, "chacha20Poly1305", v);
  napi_get_boolean(env, have_cbc, &v);
  napi_set_named_property(env, algs, "aesCbcHmac", v);
  napi_set_named_property(env, exports, "algorithms", algs);
  napi_create_array_with_length(env, missing_count, &missing);
  for (unsigned i = 0; i < missing_count; i++) {
    napi_create_string_utf8(env, missing_names[i], NAPI_AUTO_LENGTH, &v);
    napi_set_element(env, missing, i, v);
  }
  napi_set_named_property(env, exports, "missing", missing);
  napi_property_descriptor props[] = {
      {"createSa", NULL, js_create_sa, NULL, NULL, NULL, napi_enumerable, NULL},
      {"seal", NULL, js_seal, NULL, NULL, NULL, napi_enumerable, NULL},
      {"open", NULL, js_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"seal1", NULL, js_seal1, NULL, NULL, NULL, napi_enumerable, NULL},
      {"open1", NULL, js_open1, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok)
    return NULL;
  return exports;
}
