/*
 * tsunagi_nft: nftables rulesets through libnftables, the library the `nft` binary itself is
 * built on, loaded at run time with dlopen (Debian's libnftables1: libnftables.so.1). The kill
 * switch's policy changes on the way to the first packet through the tunnel; starting `nft -f -`
 * for each costs a process start (5–15 ms) that this avoids. Links against no nftables library:
 * when libnftables is missing, available() says why and the JS side spawns `nft` instead.
 *
 *   available()      -> undefined, or the reason the library cannot be used (a string)
 *   run(script)      -> Promise<{ ok, output, error, source }>
 *                       the script as `nft -f -` runs it: from a file (a memfd: `source` is its
 *                       /proc path, which error locations name) in one transaction, as
 *                       nft_run_cmd_from_filename does for `nft -f`; from the buffer when no memfd
 *                       can be had. `error` is what nft prints on stderr
 *
 * run() works on a libuv pool thread, so a slow ruleset never stalls the event loop; calls are
 * serialised with a mutex (libnftables keeps some process-wide state), each with its own context.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>

#include <dlfcn.h>
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The libnftables API (libnftables(3)), declared here: the -dev headers are not needed. */
struct nft_ctx;
typedef struct nft_ctx *(*nft_ctx_new_fn)(uint32_t flags);
typedef void (*nft_ctx_free_fn)(struct nft_ctx *ctx);
typedef int (*nft_ctx_buffer_fn)(struct nft_ctx *ctx);
typedef const char *(*nft_ctx_get_buffer_fn)(struct nft_ctx *ctx);
typedef int (*nft_run_cmd_fn)(struct nft_ctx *ctx, const char *arg);
#define NFT_CTX_DEFAULT 0

static struct {
  pthread_once_t once;
  pthread_mutex_t lock;
  char error[512];
  nft_ctx_new_fn ctx_new;
  nft_ctx_free_fn ctx_free;
  nft_ctx_buffer_fn buffer_output, buffer_error;
  nft_ctx_get_buffer_fn get_output, get_error;
  nft_run_cmd_fn run_buffer, run_file;
} lib = {PTHREAD_ONCE_INIT, PTHREAD_MUTEX_INITIALIZER, "", 0, 0, 0, 0, 0, 0, 0, 0};

static void load_library(void) {
  const char *path = getenv("TSUNAGI_LIBNFTABLES");
  if (!path || !*path) path = "libnftables.so.1";
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    snprintf(lib.error, sizeof lib.error, "cannot load %s: %s", path, dlerror());
    return;
  }
#define SYM(field, name, type)                                                        \
  do {                                                                                \
    lib.field = (type)dlsym(h, name);                                                 \
    if (!lib.field) {                                                                 \
      snprintf(lib.error, sizeof lib.error, "%s has no %s: too old a libnftables", path, name); \
      return;                                                                         \
    }                                                                                 \
  } while (0)
  SYM(ctx_new, "nft_ctx_new", nft_ctx_new_fn);
  SYM(ctx_free, "nft_ctx_free", nft_ctx_free_fn);
  SYM(buffer_output, "nft_ctx_buffer_output", nft_ctx_buffer_fn);
  SYM(buffer_error, "nft_ctx_buffer_error", nft_ctx_buffer_fn);
  SYM(get_output, "nft_ctx_get_output_buffer", nft_ctx_get_buffer_fn);
  SYM(get_error, "nft_ctx_get_error_buffer", nft_ctx_get_buffer_fn);
  SYM(run_buffer, "nft_run_cmd_from_buffer", nft_run_cmd_fn);
  SYM(run_file, "nft_run_cmd_from_filename", nft_run_cmd_fn);
#undef SYM
  /* the handle stays open for the life of the process */
}

static const char *unavailable(void) {
  pthread_once(&lib.once, load_library);
  return lib.error[0] ? lib.error : NULL;
}

static napi_value js_available(napi_env env, napi_callback_info info) {
  (void)info;
  const char *why = unavailable();
  napi_value v;
  if (why) napi_create_string_utf8(env, why, NAPI_AUTO_LENGTH, &v);
  else napi_get_undefined(env, &v);
  return v;
}

typedef struct run_job {
  napi_async_work work;
  napi_deferred deferred;
  char *script;
  int rc;           /* nft_run_cmd_from_buffer's result; -2: no context */
  char *output;     /* copies of the context's buffers */
  char *error;
  char source[32]; /* the memfd path the script was read from ("" for a buffer) */
} run_job;

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return 0;
    }
    p += w;
    n -= (size_t)w;
  }
  return 1;
}

static char *dup_or_empty(const char *s) { return strdup(s ? s : ""); }

static void run_execute(napi_env env, void *data) {
  (void)env;
  run_job *j = data;
  pthread_mutex_lock(&lib.lock);
  struct nft_ctx *ctx = lib.ctx_new(NFT_CTX_DEFAULT);
  if (!ctx) {
    j->rc = -2;
    j->output = strdup("");
    j->error = strdup("nft_ctx_new failed (out of memory?)");
  } else {
    lib.buffer_output(ctx);
    lib.buffer_error(ctx);
    /* From a file, as `nft -f -` reads /dev/stdin: libnftables 1.0.6 shows the first line of a
     * multi-line buffer as the context of every error, a file's errors point at the right line. */
    int fd = memfd_create("tsunagi-nft", MFD_CLOEXEC);
    if (fd >= 0 && write_all(fd, j->script, strlen(j->script))) {
      snprintf(j->source, sizeof j->source, "/proc/self/fd/%d", fd);
      j->rc = lib.run_file(ctx, j->source);
    } else {
      j->source[0] = '\0';
      j->rc = lib.run_buffer(ctx, j->script);
    }
    if (fd >= 0) close(fd);
    j->output = dup_or_empty(lib.get_output(ctx));
    j->error = dup_or_empty(lib.get_error(ctx));
    lib.ctx_free(ctx);
  }
  pthread_mutex_unlock(&lib.lock);
}

static void run_complete(napi_env env, napi_status status, void *data) {
  run_job *j = data;
  napi_value result, v;
  napi_create_object(env, &result);
  if (status != napi_ok) {
    napi_get_boolean(env, false, &v);
    napi_set_named_property(env, result, "ok", v);
    napi_create_string_utf8(env, "the nftables job was cancelled", NAPI_AUTO_LENGTH, &v);
    napi_set_named_property(env, result, "error", v);
  } else {
    napi_get_boolean(env, j->rc == 0, &v);
    napi_set_named_property(env, result, "ok", v);
    napi_create_string_utf8(env, j->output ? j->output : "", NAPI_AUTO_LENGTH, &v);
    napi_set_named_property(env, result, "output", v);
    napi_create_string_utf8(env, j->error ? j->error : "", NAPI_AUTO_LENGTH, &v);
    napi_set_named_property(env, result, "error", v);
    napi_create_string_utf8(env, j->source, NAPI_AUTO_LENGTH, &v);
    napi_set_named_property(env, result, "source", v);
  }
  napi_resolve_deferred(env, j->deferred, result);
  napi_delete_async_work(env, j->work);
  free(j->script);
  free(j->output);
  free(j->error);
  free(j);
}

static napi_value js_run(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  napi_valuetype t = napi_undefined;
  if (argc >= 1) napi_typeof(env, argv[0], &t);
  if (t != napi_string) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "run(script): script must be a string");
    return NULL;
  }
  const char *why = unavailable();
  if (why) {
    napi_throw_error(env, "ERR_NFT_UNAVAILABLE", why);
    return NULL;
  }
  size_t len = 0;
  napi_get_value_string_utf8(env, argv[0], NULL, 0, &len);
  run_job *j = calloc(1, sizeof *j);
  char *script = j ? malloc(len + 1) : NULL;
  if (!j || !script) {
    free(j);
    napi_throw_error(env, "ENOMEM", "run: out of memory");
    return NULL;
  }
  napi_get_value_string_utf8(env, argv[0], script, len + 1, &len);
  j->script = script;
  napi_value promise, name;
  napi_create_promise(env, &j->deferred, &promise);
  napi_create_string_utf8(env, "TsunagiNftRun", NAPI_AUTO_LENGTH, &name);
  if (napi_create_async_work(env, NULL, name, run_execute, run_complete, j, &j->work) != napi_ok) {
    free(j->script);
    free(j);
    napi_throw_error(env, NULL, "run: cannot create the nftables job");
    return NULL;
  }
  if (napi_queue_async_work(env, j->work) != napi_ok) {
    napi_delete_async_work(env, j->work);
    free(j->script);
    free(j);
    napi_throw_error(env, NULL, "run: cannot queue the nftables job");
    return NULL;
  }
  return promise;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor props[] = {
      {"available", NULL, js_available, NULL, NULL, NULL, napi_enumerable, NULL},
      {"run", NULL, js_run, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok)
    return NULL;
  return exports;
}
