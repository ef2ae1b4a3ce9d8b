/*
 * tsunagi_udp: batched UDP for IKE and ESP-in-UDP (ports 500 and 4500), in plain C against
 * Node-API (version 8). The helper's node:dgram path cost ≈ 40 % of its CPU under iperf3 (one
 * address lookup, one send request and a nextTick per datagram); here a batch of datagrams is one
 * sendmmsg(2) and a batch of received datagrams is one recvmmsg(2) and one call into JS.
 *
 *   open(address, port)                -> { handle, fd, meta }   socket + bind (+ 4 MiB buffers)
 *   startReading(handle, onBatch, onError)
 *       onBatch(buffer, count, sources): datagram i is buffer[meta[i*4] … + meta[i*4+1]), from
 *       port meta[i*4+2] of the address sources[meta[i*4+3]] (one string per distinct sender in
 *       the batch). `meta` is a Uint32Array shared with C, valid during the call only.
 *   send(handle, bytes, port, address) -> 1 sent, 0 dropped (EAGAIN/ENOBUFS), or -errno
 *   sendMany(handle, datagrams, count, port, address) -> datagrams sent, or -errno of a failure
 *       (the others still went; EAGAIN/ENOBUFS drop the rest of the batch and are counted)
 *   stats(handle) / close(handle)      close is idempotent
 *
 * Sending never blocks: the socket is non-blocking and a full send buffer drops (counted), as a
 * router would. Reads: a level-triggered uv_poll; one recvmmsg of up to MAX_BATCH per wake-up, so a
 * backlog is picked up on the next loop turn after other handles had theirs.
 *
 * Lifetime (as in tun_linux.c): the socket is shared by the JS external (GC finalizer) and the uv
 * handle (close callback); whichever lets go last frees it; close() closes the fd once; closing
 * from inside onBatch is safe; an async cleanup hook closes it at environment teardown.
 */
#define _GNU_SOURCE /* recvmmsg, sendmmsg */
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_BATCH 64
#define SLOT_SIZE 65536 /* > the largest UDP payload: nothing is ever truncated */
#define META_WORDS 4
#define SOCKET_BUFFER_BYTES (4 * 1024 * 1024)

typedef struct udp_sock {
  napi_env env;
  int fd; /* -1 once closed */
  int family;
  uv_poll_t poll;
  int refs;
  int polling;
  int in_callback;
  int js_released;
  int tearing_down;
  napi_ref self_ref;
  napi_ref on_batch;
  napi_ref on_error;
  napi_ref meta_ref;
  uint32_t *meta;
  napi_async_context async_ctx;
  napi_async_cleanup_hook_handle cleanup_handle;
  uint64_t rx_packets, rx_bytes, rx_batches, tx_packets, tx_bytes, tx_calls, tx_dropped,
      tx_errors;
  unsigned char *slots; /* MAX_BATCH × SLOT_SIZE, touched only as far as datagrams reach */
  struct mmsghdr msgs[MAX_BATCH];
  struct iovec iov[MAX_BATCH];
  struct sockaddr_storage from[MAX_BATCH];
} udp_sock;

/* ---------- errors (as in tun_linux.c) ---------- */

static const char *errno_name(int err) {
  const char *n = uv_err_name(-err);
  return (n && strncmp(n, "Unknown", 7) != 0) ? n : "EUNKNOWN";
}

static napi_value errno_error(napi_env env, int err, const char *syscall, const char *what) {
  char buf[512];
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

static napi_value type_error(napi_env env, const char *msg) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
  return NULL;
}

/* ---------- lifetime ---------- */

static void sock_unref(udp_sock *s) {
  if (--s->refs == 0) {
    free(s->slots);
    free(s);
  }
}

static void release_js(udp_sock *s) {
  if (s->js_released || s->in_callback > 0) return;
  s->js_released = 1;
  napi_env env = s->env;
  if (s->on_batch) napi_delete_reference(env, s->on_batch);
  if (s->on_error) napi_delete_reference(env, s->on_error);
  if (s->self_ref) napi_delete_reference(env, s->self_ref);
  if (s->meta_ref) napi_delete_reference(env, s->meta_ref);
  s->on_batch = s->on_error = s->self_ref = s->meta_ref = NULL;
  s->meta = NULL;
  if (s->async_ctx && !s->tearing_down) napi_async_destroy(env, s->async_ctx);
  s->async_ctx = NULL;
}

static void on_uv_closed(uv_handle_t *h) {
  udp_sock *s = h->data;
  if (s->cleanup_handle && s->tearing_down) {
    napi_remove_async_cleanup_hook(s->cleanup_handle);
    s->cleanup_handle = NULL;
  }
  sock_unref(s);
}

static void sock_shutdown(udp_sock *s) {
  if (s->fd < 0) return;
  s->polling = 0;
  uv_close((uv_handle_t *)&s->poll, on_uv_closed);
  close(s->fd);
  s->fd = -1;
  if (s->cleanup_handle && !s->tearing_down) {
    napi_remove_async_cleanup_hook(s->cleanup_handle);
    s->cleanup_handle = NULL;
  }
  release_js(s);
}

static void on_env_teardown(napi_async_cleanup_hook_handle handle, void *arg) {
  udp_sock *s = arg;
  s->cleanup_handle = handle;
  s->tearing_down = 1;
  if (s->fd < 0) {
    napi_remove_async_cleanup_hook(handle);
    s->cleanup_handle = NULL;
    return;
  }
  sock_shutdown(s);
}

static void finalize_sock(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  udp_sock *s = data;
  sock_shutdown(s);
  release_js(s);
  sock_unref(s);
}

static udp_sock *get_sock(napi_env env, napi_value v, int must_be_open) {
  napi_valuetype t;
  void *p = NULL;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external ||
      napi_get_value_external(env, v, &p) != napi_ok) {
    type_error(env, "expected a UDP handle from open()");
    return NULL;
  }
  udp_sock *s = p;
  if (must_be_open && s->fd < 0) {
    napi_throw_error(env, "ERR_SOCKET_DGRAM_NOT_RUNNING", "the UDP socket is closed");
    return NULL;
  }
  return s;
}

/* ---------- addresses ---------- */

/* "192.0.2.1", "2001:db8::1" or "fe80::1%eth0" + port -> sockaddr; 0 when not an address. */
static int parse_address(const char *text, uint32_t port, struct sockaddr_storage *ss,
                         socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
  if (inet_pton(AF_INET, text, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    *len = sizeof *a4;
    return 1;
  }
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
  char host[INET6_ADDRSTRLEN + IFNAMSIZ + 2];
  snprintf(host, sizeof host, "%s", text);
  char *scope = strchr(host, '%');
  if (scope) *scope++ = '\0';
  if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1) return 0;
  a6->sin6_family = AF_INET6;
  a6->sin6_port = htons((uint16_t)port);
  if (scope) {
    char *end = NULL;
    unsigned long id = strtoul(scope, &end, 10);
    a6->sin6_scope_id = (end && *end == '\0' && end != scope) ? (uint32_t)id : if_nametoindex(scope);
    if (a6->sin6_scope_id == 0) return 0;
  }
  *len = sizeof *a6;
  return 1;
}

static int get_address_arg(napi_env env, napi_value port_v, napi_value addr_v, udp_sock *s,
                           struct sockaddr_storage *ss, socklen_t *len) {
  uint32_t port = 0;
  char text[INET6_ADDRSTRLEN + IFNAMSIZ + 2];
  size_t n = 0;
  if (napi_get_value_uint32(env, port_v, &port) != napi_ok || port == 0 || port > 65535 ||
      napi_get_value_string_utf8(env, addr_v, text, sizeof text, &n) != napi_ok ||
      !parse_address(text, port, ss, len)) {
    type_error(env, "expected a port (1..65535) and an IP address");
    return 0;
  }
  if ((ss->ss_family == AF_INET ? 4 : 6) != s->family) {
    napi_throw_error(env, "ERR_INVALID_ARG_VALUE",
                     s->family == 4 ? "an IPv4 socket cannot send to an IPv6 address"
                                    : "an IPv6 socket cannot send to an IPv4 address");
    return 0;
  }
  return 1;
}

/* The sender as text, as node:dgram spells it (inet_ntop, %scope for link-local IPv6). */
static napi_value address_string(napi_env env, const struct sockaddr_storage *ss) {
  char text[INET6_ADDRSTRLEN + IFNAMSIZ + 2] = "";
  if (ss->ss_family == AF_INET) {
    inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, text, sizeof text);
  } else {
    const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)ss;
    inet_ntop(AF_INET6, &a6->sin6_addr, text, INET6_ADDRSTRLEN);
    char ifname[IFNAMSIZ];
    if (a6->sin6_scope_id != 0 && if_indextoname(a6->sin6_scope_id, ifname)) {
      size_t l = strlen(text);
      snprintf(text + l, sizeof text - l, "%%%s", ifname);
    }
  }
  napi_value v;
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &v);
  return v;
}

static int same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b) {
  if (a->ss_family != b->ss_family) return 0;
  if (a->ss_family == AF_INET)
    return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
           ((const struct sockaddr_in *)b)->sin_addr.s_addr;
  const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a, *y = (const struct sockaddr_in6 *)b;
  return memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0 && x->sin6_scope_id == y->sin6_scope_id;
}

static uint16_t port_of(const struct sockaddr_storage *ss) {
  return ntohs(ss->ss_family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port
                                        : ((const struct sockaddr_in6 *)ss)->sin6_port);
}

/* ---------- reading ---------- */

static void call_js(udp_sock *s, napi_ref fn_ref, size_t argc, napi_value *argv) {
  napi_env env = s->env;
  napi_value fn, recv;
  if (!fn_ref || napi_get_reference_value(env, fn_ref, &fn) != napi_ok || fn == NULL) return;
  napi_get_global(env, &recv);
  s->in_callback++;
  napi_status st = napi_make_callback(env, s->async_ctx, recv, fn, argc, argv, NULL);
  s->in_callback--;
  if (st == napi_pending_exception) {
    napi_value e;
    napi_get_and_clear_last_exception(env, &e);
    napi_fatal_exception(env, e);
  }
}

static void stop_polling(udp_sock *s) {
  if (s->polling) {
    uv_poll_stop(&s->poll);
    s->polling = 0;
    uint32_t rc;
    if (s->self_ref) napi_reference_unref(s->env, s->self_ref, &rc);
  }
}

static void on_readable(uv_poll_t *h, int status, int events) {
  (void)events;
  udp_sock *s = h->data;
  if (s->fd < 0) return;
  napi_env env = s->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;

  int err = status < 0 ? -status : 0;
  int n = -1;
  if (!err) {
    for (unsigned i = 0; i < MAX_BATCH; i++) {
      s->iov[i].iov_base = s->slots + (size_t)i * SLOT_SIZE;
      s->iov[i].iov_len = SLOT_SIZE;
      memset(&s->msgs[i].msg_hdr, 0, sizeof s->msgs[i].msg_hdr);
      s->msgs[i].msg_hdr.msg_iov = &s->iov[i];
      s->msgs[i].msg_hdr.msg_iovlen = 1;
      s->msgs[i].msg_hdr.msg_name = &s->from[i];
      s->msgs[i].msg_hdr.msg_namelen = sizeof s->from[i];
    }
    do {
      n = recvmmsg(s->fd, s->msgs, MAX_BATCH, MSG_DONTWAIT, NULL);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) err = errno;
  }

  if (n > 0 && s->meta) {
    size_t total = 0;
    for (int i = 0; i < n; i++) total += s->msgs[i].msg_len;
    napi_value buf, sources, count_v, argv[3];
    void *data = NULL;
    if (napi_create_buffer(env, total ? total : 1, &data, &buf) == napi_ok) {
      napi_create_array(env, &sources);
      uint32_t nsrc = 0;
      size_t off = 0;
      for (int i = 0; i < n; i++) {
        size_t len = s->msgs[i].msg_len;
        memcpy((unsigned char *)data + off, s->iov[i].iov_base, len);
        if (i == 0 || !same_host(&s->from[i], &s->from[i - 1]))
          napi_set_element(env, sources, nsrc++, address_string(env, &s->from[i]));
        uint32_t *m = s->meta + (size_t)i * META_WORDS;
        m[0] = (uint32_t)off;
        m[1] = (uint32_t)len;
        m[2] = port_of(&s->from[i]);
        m[3] = nsrc - 1;
        off += len;
        s->rx_bytes += len;
      }
      s->rx_packets += (uint64_t)n;
      s->rx_batches++;
      napi_create_uint32(env, (uint32_t)n, &count_v);
      argv[0] = buf;
      argv[1] = count_v;
      argv[2] = sources;
      call_js(s, s->on_batch, 3, argv);
    } else {
      err = ENOMEM;
    }
  }
  if (err && s->fd >= 0) {
    /* A broken socket (EBADF, ENOTSOCK) stops reading; anything else (e.g. a queued ICMP error)
     * is reported and reading goes on. */
    if (err == EBADF || err == ENOTSOCK) stop_polling(s);
    napi_value e = errno_error(env, err, "recvmmsg", "UDP receive failed");
    call_js(s, s->on_error, 1, &e);
  }
  napi_close_handle_scope(env, scope);
  if (s->fd < 0 && s->in_callback == 0) release_js(s);
}

/* ---------- exported functions ---------- */

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2)
    return type_error(env, "open(address, port)");
  struct sockaddr_storage ss;
  socklen_t sl = 0;
  uint32_t port = 0;
  char text[INET6_ADDRSTRLEN + IFNAMSIZ + 2];
  size_t n = 0;
  if (napi_get_value_string_utf8(env, argv[0], text, sizeof text, &n) != napi_ok ||
      napi_get_value_uint32(env, argv[1], &port) != napi_ok || port > 65535 ||
      !parse_address(text, port, &ss, &sl))
    return type_error(env, "open(address, port): an IP address and a port in 0..65535");

  int family = ss.ss_family == AF_INET ? 4 : 6;
  int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    napi_throw(env, errno_error(env, errno, "socket", "cannot create a UDP socket"));
    return NULL;
  }
  if (family == 6) {
    int one = 1; /* as node:dgram's udp6 bound to a specific address: IPv6 only */
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  }
  if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
    int e = errno;
    close(fd);
    napi_throw(env, errno_error(env, e, "bind", "cannot bind the UDP socket"));
    return NULL;
  }
  /* ESP bursts (a TCP window's worth of packets) overflow the default ~200 KB buffers; the
   * kernel caps these at net.core.rmem_max/wmem_max and keeps what it allows. */
  int size = SOCKET_BUFFER_BYTES;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);

  udp_sock *s = calloc(1, sizeof *s);
  unsigned char *slots = malloc((size_t)MAX_BATCH * SLOT_SIZE);
  uv_loop_t *loop = NULL;
  if (!s || !slots || napi_get_uv_event_loop(env, &loop) != napi_ok ||
      uv_poll_init(loop, &s->poll, fd) != 0) {
    free(s);
    free(slots);
    close(fd);
    napi_throw_error(env, "ENOMEM", "cannot set up the UDP socket reader");
    return NULL;
  }
  s->env = env;
  s->fd = fd;
  s->family = family;
  s->slots = slots;
  s->poll.data = s;
  s->refs = 2;

  napi_value handle, result, fd_v, meta_ab, meta, port_v;
  if (napi_create_external(env, s, finalize_sock, NULL, &handle) != napi_ok) {
    sock_shutdown(s);
    sock_unref(s);
    napi_throw_error(env, NULL, "cannot create the UDP handle");
    return NULL;
  }
  napi_add_async_cleanup_hook(env, on_env_teardown, s, &s->cleanup_handle);
  napi_create_reference(env, handle, 0, &s->self_ref);
  void *meta_data = NULL;
  if (napi_create_arraybuffer(env, MAX_BATCH * META_WORDS * 4, &meta_data, &meta_ab) != napi_ok ||
      napi_create_typedarray(env, napi_uint32_array, MAX_BATCH * META_WORDS, meta_ab, 0, &meta) !=
          napi_ok ||
      napi_create_reference(env, meta, 1, &s->meta_ref) != napi_ok) {
    sock_shutdown(s);
    napi_throw_error(env, "ENOMEM", "cannot allocate the UDP batch metadata");
    return NULL;
  }
  s->meta = meta_data;

  /* The port the kernel chose when asked for 0. */
  struct sockaddr_storage bound;
  socklen_t bl = sizeof bound;
  getsockname(fd, (struct sockaddr *)&bound, &bl);
  napi_create_object(env, &result);
  napi_create_int32(env, fd, &fd_v);
  napi_create_uint32(env, port_of(&bound), &port_v);
  napi_set_named_property(env, result, "handle", handle);
  napi_set_named_property(env, result, "fd", fd_v);
  napi_set_named_property(env, result, "port", port_v);
  napi_set_named_property(env, result, "meta", meta);
  return result;
}

static napi_value js_start_reading(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3)
    return type_error(env, "startReading(handle, onBatch, onError)");
  udp_sock *s = get_sock(env, argv[0], 1);
  if (!s) return NULL;
  napi_valuetype t1, t2;
  napi_typeof(env, argv[1], &t1);
  napi_typeof(env, argv[2], &t2);
  if (t1 != napi_function || t2 != napi_function)
    return type_error(env, "onBatch and onError must be functions");
  if (s->on_batch) {
    napi_throw_error(env, "ERR_UDP_READING", "startReading() was already called on this socket");
    return NULL;
  }
  napi_value name;
  napi_create_string_utf8(env, "TsunagiUdpRead", NAPI_AUTO_LENGTH, &name);
  if (napi_async_init(env, NULL, name, &s->async_ctx) != napi_ok ||
      napi_create_reference(env, argv[1], 1, &s->on_batch) != napi_ok ||
      napi_create_reference(env, argv[2], 1, &s->on_error) != napi_ok) {
    napi_throw_error(env, NULL, "startReading: cannot keep the callbacks");
    return NULL;
  }
  int r = uv_poll_start(&s->poll, UV_READABLE, on_readable);
  if (r < 0) {
    napi_throw(env, errno_error(env, -r, "uv_poll_start", "cannot poll the UDP socket"));
    return NULL;
  }
  s->polling = 1;
  uint32_t rc;
  napi_reference_ref(env, s->self_ref, &rc); /* reading keeps the handle alive */
  return NULL;
}

/* Sends msgs[0..count) with as few sendmmsg calls as the kernel allows. Returns the number sent,
 * or -errno of the first hard failure (that datagram is skipped, the rest still go). */
static int send_batch(udp_sock *s, struct mmsghdr *msgs, unsigned count) {
  unsigned i = 0;
  int sent = 0, hard = 0;
  s->tx_calls++;
  while (i < count) {
    int r = sendmmsg(s->fd, msgs + i, count - i, 0);
    if (r > 0) {
      for (int k = 0; k < r; k++) s->tx_bytes += msgs[i + k].msg_len;
      i += (unsigned)r;
      sent += r;
      continue;
    }
    int e = errno;
    if (r < 0 && e == EINTR) continue;
    if (r < 0 && (e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS)) {
      s->tx_dropped += count - i; /* never block: the rest of the batch is dropped */
      break;
    }
    /* e.g. EPERM from a firewall rule, ENETUNREACH, EMSGSIZE: skip this one, keep going */
    s->tx_errors++;
    if (!hard) hard = e ? e : EIO;
    i++;
  }
  s->tx_packets += (uint64_t)sent;
  return hard ? -hard : sent;
}

static napi_value js_send_many(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5)
    return type_error(env, "sendMany(handle, datagrams, count, port, address)");
  udp_sock *s = get_sock(env, argv[0], 1);
  if (!s) return NULL;
  uint32_t count = 0;
  if (napi_get_value_uint32(env, argv[2], &count) != napi_ok)
    return type_error(env, "sendMany: count must be a number");
  struct sockaddr_storage to;
  socklen_t tl = 0;
  if (!get_address_arg(env, argv[3], argv[4], s, &to, &tl)) return NULL;
  struct mmsghdr msgs[MAX_BATCH];
  struct iovec iov[MAX_BATCH];
  int total = 0, hard = 0;
  for (uint32_t base = 0; base < count; base += MAX_BATCH) {
    unsigned k = count - base < MAX_BATCH ? count - base : MAX_BATCH;
    for (unsigned j = 0; j < k; j++) {
      napi_value el;
      bool is_ta = false;
      napi_typedarray_type type;
      size_t len = 0;
      void *data = NULL;
      if (napi_get_element(env, argv[1], base + j, &el) != napi_ok ||
          napi_is_typedarray(env, el, &is_ta) != napi_ok || !is_ta ||
          napi_get_typedarray_info(env, el, &type, &len, &data, NULL, NULL) != napi_ok ||
          type != napi_uint8_array)
        return type_error(env, "sendMany: datagrams[i] is not a Uint8Array");
      iov[j].iov_base = data;
      iov[j].iov_len = len;
      memset(&msgs[j], 0, sizeof msgs[j]);
      msgs[j].msg_hdr.msg_iov = &iov[j];
      msgs[j].msg_hdr.msg_iovlen = 1;
      msgs[j].msg_hdr.msg_name = &to;
      msgs[j].msg_hdr.msg_namelen = tl;
    }
    int r = send_batch(s, msgs, k);
    if (r < 0) {
      if (!hard) hard = r;
      r = 0; /* what went is counted in stats; the caller learns of the failure */
    }
    total += r;
  }
  napi_value v;
  napi_create_int32(env, hard ? hard : total, &v);
  return v;
}

static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4)
    return type_error(env, "send(handle, bytes, port, address)");
  udp_sock *s = get_sock(env, argv[0], 1);
  if (!s) return NULL;
  bool is_ta = false;
  napi_typedarray_type type;
  size_t len = 0;
  void *data = NULL;
  if (napi_is_typedarray(env, argv[1], &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, argv[1], &type, &len, &data, NULL, NULL) != napi_ok ||
      type != napi_uint8_array)
    return type_error(env, "send: bytes must be a Uint8Array");
  struct sockaddr_storage to;
  socklen_t tl = 0;
  if (!get_address_arg(env, argv[2], argv[3], s, &to, &tl)) return NULL;
  struct iovec iov = {data, len};
  struct mmsghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_hdr.msg_iov = &iov;
  msg.msg_hdr.msg_iovlen = 1;
  msg.msg_hdr.msg_name = &to;
  msg.msg_hdr.msg_namelen = tl;
  napi_value v;
  napi_create_int32(env, send_batch(s, &msg, 1), &v);
  return v;
}

static napi_value js_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1)
    return type_error(env, "stats(handle)");
  udp_sock *s = get_sock(env, argv[0], 0);
  if (!s) return NULL;
  napi_value o, v;
  napi_create_object(env, &o);
#define PUT(field, key)                                 \
  napi_create_double(env, (double)s->field, &v);        \
  napi_set_named_property(env, o, key, v)
  PUT(rx_packets, "rxPackets");
  PUT(rx_bytes, "rxBytes");
  PUT(rx_batches, "rxBatches");
  PUT(tx_packets, "txPackets");
  PUT(tx_bytes, "txBytes");
  PUT(tx_calls, "txCalls");
  PUT(tx_dropped, "txDropped");
  PUT(tx_errors, "txErrors");
#undef PUT
  return o;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1)
    return type_error(env, "close(handle)");
  udp_sock *s = get_sock(env, argv[0], 0);
  if (!s) return NULL;
  sock_shutdown(s); /* no-op the second time */
  return NULL;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"startReading", NULL, js_start_reading, NULL, NULL, NULL, napi_enumerable, NULL},
      {"send", NULL, js_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sendMany", NULL, js_send_many, NULL, NULL, NULL, napi_enumerable, NULL},
      {"stats", NULL, js_stats, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_value v;
  napi_create_uint32(env, MAX_BATCH, &v);
  napi_set_named_property(env, exports, "MAX_BATCH", v);
  napi_create_uint32(env, META_WORDS, &v);
  napi_set_named_property(env, exports, "META_WORDS", v);
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok)
    return NULL;
  return exports;
}
