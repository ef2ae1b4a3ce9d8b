/*
 * tsunagi_tun: a Linux TUN device for Node, in plain C against Node-API (version 8).
 *
 * The JS side (native-helper/platform/tun/tun-linux.ts) is the only caller; this file keeps to
 * the few things JS cannot do well:
 *   open(name)                         -> { handle, fd, name }   /dev/net/tun + TUNSETIFF
 *   startReading(handle, onPackets, onError, maxBatch)
 *   pause(handle) / resume(handle)                              backpressure
 *   writeBatch(handle, packets)        -> packets taken from the front (rest hit EAGAIN)
 *   configure(handle, mtu, txQueueLength, addresses)            MTU, addresses, link up (netlink)
 *   stats(handle)                      -> counters
 *   close(handle)                                               idempotent
 *
 * configure() does what `ip link set … mtu M txqueuelen Q`, `ip address add A/P dev D [nodad]`
 * and `ip link set … up` do, as rtnetlink requests from this process (no `ip` process to start:
 * each costs 5–15 ms on the way to the first packet through the tunnel).
 *
 * Reads: a uv_poll handle on the non-blocking fd. When readable, up to maxBatch (<= 64) read(2)s
 * run back to back (one read = one packet on a TUN fd) and the packets reach JS as one Buffer[]
 * in one call. The poll is level-triggered, so a backlog beyond one batch is picked up on the
 * next loop turn, after other handles had theirs. That design was measured at ~270k pps versus
 * 31k for fs.read (see PLATFORM.md, "Node specifics").
 *
 * Lifetime: a device is shared by the JS external (GC finalizer) and the uv handle (its close
 * callback). Whichever lets go last frees it; close() only ever closes the fd once. Closing from
 * inside the packet callback is safe: JS-side resources that the running callback still uses are
 * released after it returns. At environment teardown (process exit, Worker.terminate()) an async
 * cleanup hook closes the device and waits for the uv handle's close callback, so the loop can
 * be closed and nothing keeps the process alive.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "netlink_linux.h"

#define MAX_BATCH 64
/* One read buffer per device, as large as an IP packet can be without jumbograms. A read into a
 * buffer shorter than the packet would truncate it (and a later MTU change by anyone would start
 * doing so silently); 64 KiB rules that out and costs nothing per packet, since each packet is
 * copied out at its own length. */
#define RX_BUF_SIZE 65536

typedef struct tun_dev {
  napi_env env;
  int fd; /* -1 once closed */
  char name[IFNAMSIZ];
  uv_poll_t poll;
  int refs;        /* JS external + uv handle; freed at 0 */
  int polling;     /* uv_poll_start is active */
  int reading;     /* startReading() was called and not paused */
  int in_callback; /* depth of calls into JS from the poll callback */
  int js_released; /* refs/async context released */
  int tearing_down;
  napi_ref self_ref; /* keeps the JS handle alive while reading */
  napi_ref on_packets;
  napi_ref on_error;
  napi_async_context async_ctx;
  napi_async_cleanup_hook_handle cleanup_handle; /* NULL once removed */
  unsigned max_batch;
  /* counters (doubles in JS; uint64 is plenty) */
  uint64_t rx_packets, rx_bytes, rx_batches, tx_packets, tx_bytes, tx_rejected, tx_eagain;
  unsigned char *rx_buf;
} tun_dev;

/* ---------- errors ---------- */

static const char *errno_name(int err) {
  switch (err) {
    case EBADFD:
      return "EBADFD"; /* not in libuv's table; a TUN fd whose device was deleted reports it */
    default: {
      const char *n = uv_err_name(-err);
      return (n && strncmp(n, "Unknown", 7) != 0) ? n : "EUNKNOWN";
    }
  }
}

/* An Error with .code = errno name, .errno = -errno (Node's convention) and .syscall; the message
 * reads "<what>: <ERRNO> — <hint>" (or "<what>: <ERRNO> (<strerror>)" without a hint). */
static napi_value errno_error(napi_env env, int err, const char *syscall, const char *what,
                              const char *hint) {
  char buf[512];
  if (hint)
    snprintf(buf, sizeof buf, "%s: %s \u2014 %s", what, errno_name(err), hint);
  else
    snprintf(buf, sizeof buf, "%s: %s (%s)", what, errno_name(err), strerror(err));
  napi_value code, msg, error, errno_v, sys_v;
  napi_create_string_utf8(env, errno_name(err), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &error);
  napi_create_int32(env, -err, &errno_v);
  napi_set_named_property(env, error, "errno", errno_v);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sys_v);
  napi_set_named_property(env, error, "syscall", sys_v);
  return error;
}

static void throw_errno(napi_env env, int err, const char *syscall, const char *what,
                        const char *hint) {
  napi_throw(env, errno_error(env, err, syscall, what, hint));
}

#define CHECK_NAPI(env, call)                                      \
  do {                                                             \
    if ((call) != napi_ok) {                                       \
      bool pending_ = false;                                       \
      napi_is_exception_pending((env), &pending_);                 \
      if (!pending_) napi_throw_error((env), NULL, #call " failed"); \
      return NULL;                                                 \
    }                                                              \
  } while (0)

/* ---------- lifetime ---------- */

static void dev_unref(tun_dev *d) {
  if (--d->refs == 0) {
    free(d->rx_buf);
    free(d);
  }
}

/* Drops what the device holds in the JS heap. Not while the poll callback is in JS: the running
 * make_callback still uses the async context (it is released when the callback returns). */
static void release_js(tun_dev *d) {
  if (d->js_released || d->in_callback > 0) return;
  d->js_released = 1;
  napi_env env = d->env;
  if (d->on_packets) napi_delete_reference(env, d->on_packets);
  if (d->on_error) napi_delete_reference(env, d->on_error);
  if (d->self_ref) napi_delete_reference(env, d->self_ref);
  d->on_packets = d->on_error = d->self_ref = NULL;
  /* At teardown the async_hooks machinery is going away: leave the context to the isolate. */
  if (d->async_ctx && !d->tearing_down) napi_async_destroy(env, d->async_ctx);
  d->async_ctx = NULL;
}

static void on_uv_closed(uv_handle_t *h) {
  tun_dev *d = h->data;
  if (d->cleanup_handle && d->tearing_down) {
    /* The environment is waiting for this hook to finish. */
    napi_remove_async_cleanup_hook(d->cleanup_handle);
    d->cleanup_handle = NULL;
  }
  dev_unref(d);
}

/* Closes the fd and the poll handle exactly once. */
static void dev_shutdown(tun_dev *d) {
  if (d->fd < 0) return;
  d->polling = 0;
  d->reading = 0;
  /* libuv: stop polling before the fd is closed; uv_close stops the handle. */
  uv_close((uv_handle_t *)&d->poll, on_uv_closed);
  close(d->fd);
  d->fd = -1;
  if (d->cleanup_handle && !d->tearing_down) {
    napi_remove_async_cleanup_hook(d->cleanup_handle);
    d->cleanup_handle = NULL;
  }
  release_js(d);
}

static void on_env_teardown(napi_async_cleanup_hook_handle handle, void *arg) {
  tun_dev *d = arg;
  d->cleanup_handle = handle;
  d->tearing_down = 1;
  if (d->fd < 0) {
    /* Already closed (cannot happen: close removes the hook), but never leave the env waiting. */
    napi_remove_async_cleanup_hook(handle);
    d->cleanup_handle = NULL;
    return;
  }
  dev_shutdown(d); /* on_uv_closed removes the hook */
}

static void finalize_dev(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  tun_dev *d = data;
  dev_shutdown(d); /* garbage-collected while still open: close it, as FileHandle does */
  release_js(d);
  dev_unref(d);
}

static tun_dev *get_dev(napi_env env, napi_value v) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "expected a TUN handle from open()");
    return NULL;
  }
  void *p = NULL;
  napi_get_value_external(env, v, &p);
  return p;
}

static tun_dev *get_open_dev(napi_env env, napi_value v) {
  tun_dev *d = get_dev(env, v);
  if (d && d->fd < 0) {
    napi_throw_error(env, "ERR_TUN_CLOSED", "the TUN device is closed");
    return NULL;
  }
  return d;
}

/* ---------- reading ---------- */

static void call_js(tun_dev *d, napi_ref fn_ref, napi_value arg) {
  napi_env env = d->env;
  napi_value fn, recv;
  if (!fn_ref || napi_get_reference_value(env, fn_ref, &fn) != napi_ok || fn == NULL) return;
  napi_get_global(env, &recv); /* napi_make_callback wants an object receiver */
  d->in_callback++;
  napi_status s = napi_make_callback(env, d->async_ctx, recv, fn, 1, &arg, NULL);
  d->in_callback--;
  if (s == napi_pending_exception) {
    /* A throwing handler must not vanish: make it an uncaught exception, like an event emitter. */
    napi_value e;
    napi_get_and_clear_last_exception(env, &e);
    napi_fatal_exception(env, e);
  }
}

static void stop_polling(tun_dev *d) {
  if (d->polling) {
    uv_poll_stop(&d->poll);
    d->polling = 0;
  }
}

/* Reading stopped (pause or error): the handle may be garbage-collected again. */
static void stop_reading(tun_dev *d) {
  stop_polling(d);
  if (d->reading) {
    d->reading = 0;
    uint32_t rc;
    if (d->self_ref) napi_reference_unref(d->env, d->self_ref, &rc);
  }
}

static void on_readable(uv_poll_t *h, int status, int events) {
  (void)events;
  tun_dev *d = h->data;
  if (d->fd < 0) return;
  napi_env env = d->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;

  if (status < 0) {
    /* POLLERR: the device went away under us (e.g. `ip link del`). Stop and report once. */
    stop_reading(d);
    call_js(d, d->on_error, errno_error(env, -status, "poll", "polling failed",
                                       "the device was probably deleted"));
    goto out;
  }

  napi_value bufs[MAX_BATCH];
  unsigned n = 0;
  int err = 0;
  while (n < d->max_batch) {
    ssize_t r = read(d->fd, d->rx_buf, RX_BUF_SIZE);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) err = errno;
      break;
    }
    if (r == 0) break;
    void *copy;
    if (napi_create_buffer_copy(env, (size_t)r, d->rx_buf, &copy, &bufs[n]) != napi_ok) {
      err = ENOMEM;
      break;
    }
    d->rx_bytes += (uint64_t)r;
    n++;
  }

  if (n > 0) {
    napi_value arr;
    napi_create_array_with_length(env, n, &arr);
    for (unsigned i = 0; i < n; i++) napi_set_element(env, arr, i, bufs[i]);
    d->rx_packets += n;
    d->rx_batches++;
    call_js(d, d->on_packets, arr);
  }
  if (err && d->fd >= 0) {
    stop_reading(d);
    call_js(d, d->on_error, errno_error(env, err, "read", "read failed", NULL));
  }

out:
  napi_close_handle_scope(env, scope);
  /* The handler may have closed the device; what release_js skipped meanwhile happens now. */
  if (d->fd < 0 && d->in_callback == 0) release_js(d);
}

static int start_polling(napi_env env, tun_dev *d) {
  if (d->polling) return 1;
  int r = uv_poll_start(&d->poll, UV_READABLE, on_readable);
  if (r < 0) {
    throw_errno(env, -r, "uv_poll_start", "cannot poll the TUN device", NULL);
    return 0;
  }
  d->polling = 1;
  return 1;
}

/* ---------- exported functions ---------- */

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));

  char name[IFNAMSIZ + 1] = {0};
  size_t len = 0;
  if (argc < 1) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "open(name): name must be a string");
    return NULL;
  }
  napi_status s = napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len);
  if (s != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "open(name): name must be a string");
    return NULL;
  }
  if (len >= IFNAMSIZ) {
    napi_throw_range_error(env, "ERR_INVALID_ARG_VALUE",
                           "open(name): an interface name has at most 15 bytes");
    return NULL;
  }

  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    const char *hint = (e == ENOENT || e == ENODEV || e == ENXIO)
                           ? "the tun kernel module is missing (modprobe tun)"
                       : (e == EACCES || e == EPERM) ? "run as root or grant CAP_NET_ADMIN"
                                                     : NULL;
    throw_errno(env, e, "open", "cannot open /dev/net/tun", hint);
    return NULL;
  }

  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  memcpy(ifr.ifr_name, name, len); /* empty: the kernel picks tunN */
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int e = errno;
    close(fd);
    char what[64];
    const char *hint =
        e == EPERM    ? "run as root or grant CAP_NET_ADMIN"
        : e == EBUSY  ? "another process holds a device of that name"
        : e == EINVAL ? "invalid name, or an interface of that name exists and is not a TUN device"
                      : NULL;
    snprintf(what, sizeof what, "cannot create TUN device '%s'", len ? name : "tun%d");
    throw_errno(env, e, "ioctl(TUNSETIFF)", what, hint);
    return NULL;
  }

  tun_dev *d = calloc(1, sizeof *d);
  unsigned char *rx = malloc(RX_BUF_SIZE);
  uv_loop_t *loop = NULL;
  if (!d || !rx || napi_get_uv_event_loop(env, &loop) != napi_ok ||
      uv_poll_init(loop, &d->poll, fd) != 0) {
    free(d);
    free(rx);
    close(fd);
    napi_throw_error(env, "ENOMEM", "cannot set up the TUN device reader");
    return NULL;
  }
  d->env = env;
  d->fd = fd;
  d->rx_buf = rx;
  d->max_batch = MAX_BATCH;
  d->poll.data = d;
  d->refs = 2; /* the JS external and the uv handle */
  memcpy(d->name, ifr.ifr_name, IFNAMSIZ);
  d->name[IFNAMSIZ - 1] = '\0';

  napi_value handle, result, fd_v, name_v;
  if (napi_create_external(env, d, finalize_dev, NULL, &handle) != napi_ok) {
    dev_shutdown(d);
    dev_unref(d); /* the external never existed */
    napi_throw_error(env, NULL, "cannot create the TUN handle");
    return NULL;
  }
  /* From here the external owns one reference; errors below close through it. */
  napi_add_async_cleanup_hook(env, on_env_teardown, d, &d->cleanup_handle);
  napi_create_reference(env, handle, 0, &d->self_ref); /* weak until reading starts */

  CHECK_NAPI(env, napi_create_object(env, &result));
  CHECK_NAPI(env, napi_create_int32(env, fd, &fd_v));
  CHECK_NAPI(env, napi_create_string_utf8(env, d->name, NAPI_AUTO_LENGTH, &name_v));
  CHECK_NAPI(env, napi_set_named_property(env, result, "handle", handle));
  CHECK_NAPI(env, napi_set_named_property(env, result, "fd", fd_v));
  CHECK_NAPI(env, napi_set_named_property(env, result, "name", name_v));
  return result;
}

static napi_value js_start_reading(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE",
                          "startReading(handle, onPackets, onError[, maxBatch])");
    return NULL;
  }
  tun_dev *d = get_open_dev(env, argv[0]);
  if (!d) return NULL;
  napi_valuetype t1, t2;
  napi_typeof(env, argv[1], &t1);
  napi_typeof(env, argv[2], &t2);
  if (t1 != napi_function || t2 != napi_function) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "onPackets and onError must be functions");
    return NULL;
  }
  if (d->on_packets) {
    napi_throw_error(env, "ERR_TUN_READING", "startReading() was already called on this device");
    return NULL;
  }
  uint32_t max_batch = MAX_BATCH;
  if (argc >= 4) {
    napi_valuetype t3;
    napi_typeof(env, argv[3], &t3);
    if (t3 != napi_undefined) {
      if (napi_get_value_uint32(env, argv[3], &max_batch) != napi_ok || max_batch < 1 ||
          max_batch > MAX_BATCH) {
        napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "maxBatch must be an integer in 1..64");
        return NULL;
      }
    }
  }
  d->max_batch = max_batch;

  napi_value resource_name;
  CHECK_NAPI(env, napi_create_string_utf8(env, "TsunagiTunRead", NAPI_AUTO_LENGTH, &resource_name));
  CHECK_NAPI(env, napi_async_init(env, NULL, resource_name, &d->async_ctx));
  CHECK_NAPI(env, napi_create_reference(env, argv[1], 1, &d->on_packets));
  CHECK_NAPI(env, napi_create_reference(env, argv[2], 1, &d->on_error));
  if (!start_polling(env, d)) return NULL;
  d->reading = 1;
  uint32_t rc;
  napi_reference_ref(env, d->self_ref, &rc);
  return NULL;
}

static napi_value set_reading(napi_env env, napi_callback_info info, int on) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "expected a TUN handle");
    return NULL;
  }
  tun_dev *d = get_open_dev(env, argv[0]);
  if (!d) return NULL;
  if (!d->on_packets) {
    napi_throw_error(env, "ERR_TUN_NOT_READING", "call startReading() first");
    return NULL;
  }
  uint32_t rc;
  if (on && !d->reading) {
    if (!start_polling(env, d)) return NULL;
    d->reading = 1;
    napi_reference_ref(env, d->self_ref, &rc);
  } else if (!on) {
    stop_reading(d);
  }
  return NULL;
}

static napi_value js_pause(napi_env env, napi_callback_info info) { return set_reading(env, info, 0); }
static napi_value js_resume(napi_env env, napi_callback_info info) { return set_reading(env, info, 1); }

static napi_value js_write_batch(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "writeBatch(handle, packets)");
    return NULL;
  }
  tun_dev *d = get_open_dev(env, argv[0]);
  if (!d) return NULL;
  bool is_array = false;
  napi_is_array(env, argv[1], &is_array);
  if (!is_array) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "packets must be an array of Uint8Array");
    return NULL;
  }
  uint32_t count = 0;
  CHECK_NAPI(env, napi_get_array_length(env, argv[1], &count));

  uint32_t taken = 0;
  for (; taken < count; taken++) {
    napi_value el;
    CHECK_NAPI(env, napi_get_element(env, argv[1], taken, &el));
    bool is_ta = false;
    napi_is_typedarray(env, el, &is_ta);
    napi_typedarray_type type;
    size_t length = 0;
    void *data = NULL;
    if (is_ta) napi_get_typedarray_info(env, el, &type, &length, &data, NULL, NULL);
    if (!is_ta || type != napi_uint8_array) {
      char msg[96];
      snprintf(msg, sizeof msg, "packets[%u] is not a Uint8Array", taken);
      napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
      return NULL;
    }
    ssize_t w;
    do {
      w = write(d->fd, data, length);
    } while (w < 0 && errno == EINTR);
    if (w >= 0) {
      d->tx_packets++;
      d->tx_bytes += (uint64_t)w;
      continue;
    }
    int e = errno;
    if (e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS) {
      d->tx_eagain++;
      break; /* the caller retries packets[taken..] later or drops and counts them */
    }
    if (e == EINVAL || e == EMSGSIZE) {
      /* This packet is malformed (not IPv4/IPv6, empty, too large): drop it, keep going. */
      d->tx_rejected++;
      continue;
    }
    throw_errno(env, e, "write", "write failed",
                e == EIO ? "the device is down" : NULL);
    return NULL;
  }
  napi_value result;
  CHECK_NAPI(env, napi_create_uint32(env, taken, &result));
  return result;
}

/* ---------- configure (rtnetlink) ---------- */

static napi_value js_configure(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE",
                          "configure(handle, mtu, txQueueLength, addresses)");
    return NULL;
  }
  tun_dev *d = get_open_dev(env, argv[0]);
  if (!d) return NULL;
  uint32_t mtu = 0, txq = 0, count = 0;
  napi_valuetype txq_type;
  napi_typeof(env, argv[2], &txq_type);
  bool is_array = false;
  napi_is_array(env, argv[3], &is_array);
  if (napi_get_value_uint32(env, argv[1], &mtu) != napi_ok ||
      (txq_type != napi_undefined && napi_get_value_uint32(env, argv[2], &txq) != napi_ok) ||
      !is_array || napi_get_array_length(env, argv[3], &count) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE",
                          "configure: mtu, txQueueLength (or undefined) and an array of addresses");
    return NULL;
  }
  unsigned index = if_nametoindex(d->name);
  if (index == 0) {
    throw_errno(env, errno, "if_nametoindex", "cannot configure the TUN device", NULL);
    return NULL;
  }
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) {
    throw_errno(env, errno, "socket(AF_NETLINK)", "cannot configure the TUN device", NULL);
    return NULL;
  }
  nl_req r;
  uint32_t seq = 0;
  int err;
  char what[160];

  /* 1. MTU (and queue length), as `ip link set dev D mtu M [txqueuelen Q]` */
  memset(&r, 0, sizeof r);
  r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
  r.h.nlmsg_type = RTM_NEWLINK;
  r.u.ifi.ifi_family = AF_UNSPEC;
  r.u.ifi.ifi_index = (int)index;
  nl_attr(&r, IFLA_MTU, &mtu, sizeof mtu);
  if (txq_type != napi_undefined) nl_attr(&r, IFLA_TXQLEN, &txq, sizeof txq);
  if ((err = nl_call(fd, &r, ++seq)) != 0) {
    snprintf(what, sizeof what, "link set dev %s mtu %u", d->name, mtu);
    goto fail;
  }

  /* 2. addresses, as `ip address add A/P dev D` (IPv6 with nodad: a point-to-point link has no
   *    neighbour to collide with, and DAD would leave the address tentative for a second) */
  for (uint32_t i = 0; i < count; i++) {
    napi_value el, fam_v, addr_v, prefix_v;
    uint32_t family = 0, prefix = 0;
    char text[INET6_ADDRSTRLEN] = "";
    size_t len = 0;
    if (napi_get_element(env, argv[3], i, &el) != napi_ok ||
        napi_get_named_property(env, el, "family", &fam_v) != napi_ok ||
        napi_get_named_property(env, el, "address", &addr_v) != napi_ok ||
        napi_get_named_property(env, el, "prefixLength", &prefix_v) != napi_ok ||
        napi_get_value_uint32(env, fam_v, &family) != napi_ok ||
        napi_get_value_uint32(env, prefix_v, &prefix) != napi_ok ||
        napi_get_value_string_utf8(env, addr_v, text, sizeof text, &len) != napi_ok) {
      close(fd);
      napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE",
                            "configure: addresses[i] must be { family, address, prefixLength }");
      return NULL;
    }
    unsigned char bytes[16];
    int af = family == 6 ? AF_INET6 : AF_INET;
    if (inet_pton(af, text, bytes) != 1 || prefix > (family == 6 ? 128u : 32u)) {
      close(fd);
      napi_throw_range_error(env, "ERR_INVALID_ARG_VALUE", "configure: a bad address");
      return NULL;
    }
    unsigned short alen = family == 6 ? 16 : 4;
    memset(&r, 0, sizeof r);
    r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
    r.h.nlmsg_type = RTM_NEWADDR;
    r.h.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
    r.u.ifa.ifa_family = (unsigned char)af;
    r.u.ifa.ifa_prefixlen = (unsigned char)prefix;
    r.u.ifa.ifa_flags = family == 6 ? IFA_F_NODAD : 0;
    r.u.ifa.ifa_scope = RT_SCOPE_UNIVERSE;
    r.u.ifa.ifa_index = index;
    nl_attr(&r, IFA_LOCAL, bytes, alen);
    nl_attr(&r, IFA_ADDRESS, bytes, alen);
    if ((err = nl_call(fd, &r, ++seq)) != 0) {
      snprintf(what, sizeof what, "address add %s/%u dev %s%s", text, prefix, d->name,
               family == 6 ? " nodad" : "");
      goto fail;
    }
  }

  /* 3. up, as `ip link set dev D up` */
  memset(&r, 0, sizeof r);
  r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
  r.h.nlmsg_type = RTM_NEWLINK;
  r.u.ifi.ifi_family = AF_UNSPEC;
  r.u.ifi.ifi_index = (int)index;
  r.u.ifi.ifi_flags = IFF_UP;
  r.u.ifi.ifi_change = IFF_UP;
  if ((err = nl_call(fd, &r, ++seq)) != 0) {
    snprintf(what, sizeof what, "link set dev %s up", d->name);
    goto fail;
  }
  close(fd);
  return NULL;

fail:
  close(fd);
  {
    char msg[256];
    snprintf(msg, sizeof msg, "`ip %s` (netlink) failed", what);
    throw_errno(env, err, "rtnetlink", msg, NULL);
  }
  return NULL;
}

static napi_value js_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "expected a TUN handle");
    return NULL;
  }
  tun_dev *d = get_dev(env, argv[0]);
  if (!d) return NULL;
  napi_value o, v;
  CHECK_NAPI(env, napi_create_object(env, &o));
#define PUT(field, key)                                     \
  CHECK_NAPI(env, napi_create_double(env, (double)d->field, &v)); \
  CHECK_NAPI(env, napi_set_named_property(env, o, key, v))
  PUT(rx_packets, "rxPackets");
  PUT(rx_bytes, "rxBytes");
  PUT(rx_batches, "rxBatches");
  PUT(tx_packets, "txPackets");
  PUT(tx_bytes, "txBytes");
  PUT(tx_rejected, "txRejected");
  PUT(tx_eagain, "txEagain");
#undef PUT
  return o;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "expected a TUN handle");
    return NULL;
  }
  tun_dev *d = get_dev(env, argv[0]);
  if (!d) return NULL;
  dev_shutdown(d); /* no-op the second time */
  return NULL;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"startReading", NULL, js_start_reading, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pause", NULL, js_pause, NULL, NULL, NULL, napi_enumerable, NULL},
      {"resume", NULL, js_resume, NULL, NULL, NULL, napi_enumerable, NULL},
      {"writeBatch", NULL, js_write_batch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"configure", NULL, js_configure, NULL, NULL, NULL, napi_enumerable, NULL},
      {"stats", NULL, js_stats, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_value max_batch;
  napi_create_uint32(env, MAX_BATCH, &max_batch);
  napi_set_named_property(env, exports, "MAX_BATCH", max_batch);
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok)
    return NULL;
  return exports;
}
