/*
 * tsunagi_peercred: the helper's two needs of Unix sockets that Node has no API for:
 *   peerCredentials(fd) -> { pid, uid, gid, groups }   SO_PEERCRED, SO_PEERGROUPS
 *   notify(path, message) -> undefined           one datagram to systemd's NOTIFY_SOCKET
 * The kernel records the credentials (and the supplementary groups) at connect(2) time, so a
 * peer cannot change them later by changing its uid or passing the fd on. notify() is sd_notify(3) without libsystemd: sent by the
 * helper's own (main) process, so systemd attributes it to the service with NotifyAccess=main,
 * which `systemd-notify` (a short-lived child) cannot guarantee.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static napi_value js_peer_credentials(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  int32_t fd = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "expected a socket file descriptor");
    return NULL;
  }
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof cred) {
    char msg[128];
    snprintf(msg, sizeof msg, "SO_PEERCRED failed: %s", strerror(errno));
    napi_throw_error(env, "ERR_PEERCRED", msg);
    return NULL;
  }
  napi_value out, pid, uid, gid;
  napi_create_object(env, &out);
  napi_create_int32(env, cred.pid, &pid);
  napi_create_uint32(env, cred.uid, &uid);
  napi_create_uint32(env, cred.gid, &gid);
  napi_set_named_property(env, out, "pid", pid);
  napi_set_named_property(env, out, "uid", uid);
  napi_set_named_property(env, out, "gid", gid);
  /* SO_PEERGROUPS (Linux 4.13): the peer's supplementary groups; ERANGE sets the size needed */
  socklen_t glen = 64 * sizeof(gid_t);
  gid_t *groups = malloc(glen);
  int rc = groups ? getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &glen) : -1;
  int err = groups ? errno : ENOMEM;
  if (rc != 0 && err == ERANGE) {
    free(groups);
    groups = malloc(glen ? glen : sizeof(gid_t));
    rc = groups ? getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &glen) : -1;
    err = groups ? errno : ENOMEM;
  }
  if (rc != 0) {
    free(groups);
    char msg[128];
    snprintf(msg, sizeof msg, "SO_PEERGROUPS failed: %s", strerror(err));
    napi_throw_error(env, "ERR_PEERCRED", msg);
    return NULL;
  }
  size_t count = glen / sizeof(gid_t);
  napi_value list;
  napi_create_array_with_length(env, count, &list);
  for (size_t i = 0; i < count; i++) {
    napi_value g;
    napi_create_uint32(env, groups[i], &g);
    napi_set_element(env, list, (uint32_t)i, g);
  }
  free(groups);
  napi_set_named_property(env, out, "groups", list);
  return out;
}

/* notify(path, message): path as in $NOTIFY_SOCKET ("/run/…" or "@abstract"). */
static napi_value js_notify(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  size_t path_len = 0;
  char message[4096];
  size_t message_len = 0;
  if (argc < 2 ||
      napi_get_value_string_utf8(env, argv[0], addr.sun_path, sizeof addr.sun_path, &path_len) !=
          napi_ok ||
      napi_get_value_string_utf8(env, argv[1], message, sizeof message, &message_len) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "expected (socket path, message)");
    return NULL;
  }
  if (path_len < 2 || path_len >= sizeof addr.sun_path - 1 ||
      (addr.sun_path[0] != '/' && addr.sun_path[0] != '@') || message_len == 0 ||
      message_len >= sizeof message - 1) {
    napi_throw_range_error(env, "ERR_INVALID_ARG_VALUE",
                           "expected an absolute or @abstract socket path and a short message");
    return NULL;
  }
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0'; /* abstract namespace */
  socklen_t addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + path_len);
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || sendto(fd, message, message_len, MSG_NOSIGNAL, (struct sockaddr *)&addr,
                       addr_len) != (ssize_t)message_len) {
    int err = errno;
    if (fd >= 0) close(fd);
    char msg[160];
    snprintf(msg, sizeof msg, "sd_notify (NOTIFY_SOCKET) failed: %s", strerror(err));
    napi_throw_error(env, "ERR_SD_NOTIFY", msg);
    return NULL;
  }
  close(fd);
  return NULL;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor props[] = {
      {"peerCredentials", NULL, js_peer_credentials, NULL, NULL, NULL, napi_enumerable, NULL},
      {"notify", NULL, js_notify, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, 2, props) != napi_ok) return NULL;
  return exports;
}
